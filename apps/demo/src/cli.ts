import { parseArgs } from 'node:util';
import { isQStoreError } from '@q-store/core';
import { StateVectorSimulator } from '@q-store/quantum-sim';
import { runDemo } from './demo.js';
import { openEmbeddedPgvector } from './stores.js';

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
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(`usage: pnpm demo [--shots N] [--seed S] [--classical] [--data DIR]
       pnpm demo train [--help]

Runs the QuantumDatabase scenario on the embedded defaults: pgvector on PGlite (in memory, or in
DIR with --data) and the quantum-sim state-vector simulator (--classical: no quantum backend).`);
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

const stores = await openEmbeddedPgvector({
  indexName: 'demo-corpus',
  ...(values.data ? { dataDir: values.data } : {}),
});
const quantum = values.classical ? undefined : new StateVectorSimulator();
try {
  await runDemo({
    backend: stores.backend,
    stateStore: stores.stateStore,
    ...(quantum ? { quantum } : {}),
    shots,
    seed,
    progress: process.stderr.isTTY === true,
    afterIngest: stores.buildIndex,
  });
} catch (error) {
  console.error(isQStoreError(error) ? `${error.code}: ${error.message}` : error);
  process.exitCode = 1;
} finally {
  await quantum?.close();
  await stores.close();
}
