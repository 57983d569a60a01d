import { describe, expect, it } from 'vitest';
import { runFixture } from '../fixtures/run-fixture.js';
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

describe('the quantum conformance kit catches broken backends', () => {
  it('fails exactly the cases each defect breaks', async () => {
    const suites = await runFixture('broken-backends.fixture');
    const failed = new Map([...suites].map(([name, suite]) => [name, suite.failed]));
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
  }, 120_000);
});
