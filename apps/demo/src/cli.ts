import { parseArgs } from 'node:util';
import { isQStoreError } from '@q-store/core';
import { runDemo } from './demo.js';

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

try {
  await runDemo({ records: Number(values.records), seed: Number(values.seed) });
} catch (error) {
  console.error(isQStoreError(error) ? `${error.code}: ${error.message}` : error);
  process.exitCode = 1;
}
