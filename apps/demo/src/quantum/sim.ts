import { StateVectorSimulator } from '@q-store/quantum-sim';
import type { DemoQuantum, QuantumChoiceOptions } from '../choices.js';

/** `--quantum sim` (the default): the local state-vector simulator. */
export async function openQuantum(_options: QuantumChoiceOptions): Promise<DemoQuantum> {
  const backend = new StateVectorSimulator();
  return { backend, description: 'quantum-sim state-vector simulator (local)', close: () => backend.close() };
}
