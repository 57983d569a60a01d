import type { CheckpointStore, QuantumBackend, StateStore, TrainingStore, VectorBackend } from '@q-store/core';

/** What `--store NAME` opens for the demo: the vector index, the state store and, where the store offers them, training and checkpoint stores. */
export interface DemoStores {
  backend: VectorBackend;
  stateStore: StateStore;
  trainingStore?: TrainingStore;
  checkpointStore?: CheckpointStore;
  /** One line saying what runs where (printed by the demo). */
  description: string;
  /** Called after the bulk load (pgvector builds its deferred HNSW index here). */
  buildIndex?(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreChoiceOptions {
  indexName: string;
  /** `--data DIR`, where the store keeps files (embedded stores only). */
  dataDir?: string;
  print: (line: string) => void;
}

/** What `--quantum NAME` opens. */
export interface DemoQuantum {
  backend: QuantumBackend;
  description: string;
  close(): Promise<void>;
}

export interface QuantumChoiceOptions {
  seed: number;
  print: (line: string) => void;
}

/**
 * `--store` choices. Each entry loads its module lazily, so a store's package is imported only when
 * it is chosen. Add a store by adding a file under `stores/` and one line here.
 */
export const STORE_CHOICES: Record<string, () => Promise<(options: StoreChoiceOptions) => Promise<DemoStores>>> = {
  pgvector: async () => (await import('./stores/pgvector.js')).openStores,
  pinecone: async () => (await import('./stores/pinecone.js')).openStores,
  qdrant: async () => (await import('./stores/qdrant.js')).openStores,
};

/** `--quantum` choices, loaded the same way. Add one with a file under `quantum/` and one line here. */
export const QUANTUM_CHOICES: Record<string, () => Promise<(options: QuantumChoiceOptions) => Promise<DemoQuantum>>> = {
  sim: async () => (await import('./quantum/sim.js')).openQuantum,
  ionq: async () => (await import('./quantum/ionq.js')).openQuantum,
};

function choose<T>(table: Record<string, T>, flag: string, name: string): T {
  const entry = Object.hasOwn(table, name) ? table[name] : undefined;
  if (entry === undefined) {
    throw new Error(`--${flag} must be one of ${Object.keys(table).join(', ')}, got ${JSON.stringify(name)}`);
  }
  return entry;
}

export async function openStoreChoice(name: string, options: StoreChoiceOptions): Promise<DemoStores> {
  return (await choose(STORE_CHOICES, 'store', name)())(options);
}

export async function openQuantumChoice(name: string, options: QuantumChoiceOptions): Promise<DemoQuantum> {
  return (await choose(QUANTUM_CHOICES, 'quantum', name)())(options);
}
