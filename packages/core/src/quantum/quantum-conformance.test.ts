import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { describeQuantumBackendConformance, QueuedJobService, QueuedQuantumBackend } from '../testing/index.js';
import { ReferenceBackend } from './reference-sim.test-helper.js';

describeQuantumBackendConformance({ name: 'ReferenceBackend', create: () => new ReferenceBackend() });
describeQuantumBackendConformance({
  name: 'ReferenceBackend (sampling only)',
  create: () => new ReferenceBackend({ exact: false }),
});
describeQuantumBackendConformance({
  name: 'ReferenceBackend (3 qubits, few shots)',
  create: () => new ReferenceBackend({ maxQubits: 3 }),
  shots: 300,
});

{
  // A queued remote service: jobs by id that outlive backend objects, statuses by the clock.
  const service = new QueuedJobService({ engine: new ReferenceBackend(), queuedMs: 4, runningMs: 4 });
  describeQuantumBackendConformance({
    name: 'QueuedQuantumBackend (queued test double over ReferenceBackend)',
    create: () => new QueuedQuantumBackend({ service }),
    jobs: { recreate: () => new QueuedQuantumBackend({ service }), received: () => service.received.length },
  });
}

interface JsonReport {
  testResults: Array<{ assertionResults: Array<{ ancestorTitles: string[]; title: string; status: string }> }>;
}

describe('the quantum conformance kit catches broken backends', () => {
  it('fails exactly the cases each defect breaks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'q-store-kit-'));
    const output = join(dir, 'report.json');
    try {
      const require = createRequire(import.meta.url);
      const bin = join(require.resolve('vitest/package.json'), '..', 'vitest.mjs');
      const fixtures = join(import.meta.dirname, '..', 'fixtures');
      await promisify(execFile)(
        process.execPath,
        [
          bin,
          'run',
          '--config',
          join(fixtures, 'vitest.fixture.config.ts'),
          '--reporter=json',
          `--outputFile=${output}`,
        ],
        { cwd: fixtures, env: { ...process.env, CI: '1' } },
      ).catch((error: { code?: number }) => {
        // vitest exits 1 when tests fail, which is the point here.
        if (error.code !== 1) throw error;
      });
      const report = JSON.parse(await readFile(output, 'utf8')) as JsonReport;
      const failed = new Map<string, string[]>();
      for (const file of report.testResults) {
        for (const r of file.assertionResults) {
          if (r.status !== 'failed') continue;
          const suite = (r.ancestorTitles[0] ?? '').replace('QuantumBackend conformance: ', '');
          failed.set(suite, [...(failed.get(suite) ?? []), r.title]);
        }
      }
      expect(failed.get('reversed-bit-order')).toEqual(
        expect.arrayContaining(['bit order: qubit 0 is the rightmost character of a key']),
      );
      expect(failed.get('rz-sign')).toEqual(
        expect.arrayContaining([
          'every gate of the table matches its matrix (state tomography, natural and reversed qubit order)',
        ]),
      );
      expect(failed.get('ignores-seed')).toEqual([
        'sampling statistics within binomial bounds for a fixed seed; same seed, same counts',
      ]);
      expect(failed.get('accepts-zero-shots')).toEqual(['shots must be a positive integer']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
