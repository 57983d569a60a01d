import { parseArgs } from 'node:util';
import { isQStoreError, MemoryBackend } from '@q-store/core';
import { runDemo } from './demo.js';

const { values } = parseArgs({
  options: {
    shots: { type: 'string', default: '1024' },
    seed: { type: 'string', default: '2026' },
    classical: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log('usage: pnpm demo [--shots N] [--seed S] [--classical]');
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

try {
  await runDemo({
    backend: new MemoryBackend({ indexName: 'demo-corpus' }),
    shots,
    seed,
    progress: process.stderr.isTTY === true,
  });
} catch (error) {
  console.error(isQStoreError(error) ? `${error.code}: ${error.message}` : error);
  process.exitCode = 1;
}
