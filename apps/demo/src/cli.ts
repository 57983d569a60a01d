import { parseArgs } from 'node:util';
import { isQStoreError } from '@q-store/core';
import { runDemo } from './demo.js';

if (process.argv[2] === 'train') {
  await (await import('./train.js')).main(process.argv.slice(3));
  process.exit();
}

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '400' },
    seed: { type: 'string', default: '2026' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log('usage: pnpm demo [--records N] [--seed S]');
  process.exit(0);
}

const records = Number(values.records);
const seed = Number(values.seed);
if (!Number.isInteger(records) || records < 5 || records > 100_000) {
  console.error(`--records must be an integer from 5 to 100000, got ${values.records}`);
  process.exit(2);
}
if (!Number.isInteger(seed)) {
  console.error(`--seed must be an integer, got ${values.seed}`);
  process.exit(2);
}

try {
  await runDemo({ records, seed });
} catch (error) {
  console.error(isQStoreError(error) ? `${error.code}: ${error.message}` : error);
  process.exitCode = 1;
}
