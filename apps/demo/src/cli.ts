import { parseArgs } from 'node:util';
import { isQStoreError } from '@q-store/core';
import { openQuantumChoice, openStoreChoice, QUANTUM_CHOICES, STORE_CHOICES } from './choices.js';
import { runDemo } from './demo.js';

if (process.argv[2] === 'worker') {
  // `pnpm demo worker --redis … --store …`: the q-store-worker CLI; runs until SIGINT/SIGTERM.
  await (await import('@q-store/ml-training/distributed')).workerCli(process.argv.slice(3));
  if (process.exitCode) process.exit();
  await new Promise(() => {});
}

if (process.argv[2] === 'train') {
  await (await import('./train.js')).main(process.argv.slice(3));
  process.exit();
}

const { values } = parseArgs({
  options: {
    shots: { type: 'string', default: '1024' },
    seed: { type: 'string', default: '2026' },
    classical: { type: 'boolean', default: false },
    data: { type: 'string' },
    store: { type: 'string', default: 'pgvector' },
    quantum: { type: 'string', default: 'sim' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(`usage: pnpm demo [--store NAME] [--quantum NAME] [--shots N] [--seed S] [--classical] [--data DIR]
       pnpm demo train [--help]     (--workers N: data-parallel on local worker processes)
       pnpm demo worker --redis URL --store postgres://…   (a training worker, on any host)

Runs the QuantumDatabase scenario. By default on the embedded defaults: pgvector on PGlite (in
memory, or in DIR with --data) and the quantum-sim state-vector simulator (--classical: no quantum
backend).

  --store    ${Object.keys(STORE_CHOICES).join(' | ')}   (default pgvector)
  --quantum  ${Object.keys(QUANTUM_CHOICES).join(' | ')}   (default sim)`);
  process.exit(0);
}

const shots = Number(values.shots);
const seed = Number(values.seed);
if (!Number.isInteger(shots) || shots < 1 || shots > 1_000_000) {
  console.error(`--shots must be an integer from 1 to 1000000, got ${values.shots}`);
  process.exit(2);
}
if (!Number.isInteger(seed)) {
  console.error(`--seed must be an integer, got ${values.seed}`);
  process.exit(2);
}

const print = (line: string) => console.log(line);
let stores: Awaited<ReturnType<typeof openStoreChoice>> | undefined;
let quantum: Awaited<ReturnType<typeof openQuantumChoice>> | undefined;
try {
  stores = await openStoreChoice(values.store, {
    indexName: 'demo-corpus',
    print,
    ...(values.data ? { dataDir: values.data } : {}),
  });
  quantum = values.classical ? undefined : await openQuantumChoice(values.quantum, { seed, print });
} catch (error) {
  console.error(
    isQStoreError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : error,
  );
  await stores?.close();
  process.exit(2);
}
print(`store: ${stores.description}; quantum: ${quantum ? quantum.description : 'none (classical)'}`);
try {
  await runDemo({
    backend: stores.backend,
    stateStore: stores.stateStore,
    ...(quantum ? { quantum: quantum.backend } : {}),
    shots,
    seed,
    progress: process.stderr.isTTY === true,
    ...(stores.buildIndex ? { afterIngest: stores.buildIndex } : {}),
  });
} catch (error) {
  console.error(isQStoreError(error) ? `${error.code}: ${error.message}` : error);
  process.exitCode = 1;
} finally {
  await quantum?.close();
  await stores.close();
}
