import { Circuit } from '@q-store/core';
import { afterAll, describe, expect, it } from 'vitest';
import { IonQBackend } from './ionq-backend.js';

/**
 * Live tests against IonQ's cloud `simulator` target (free), when `IONQ_API_KEY` is set
 * (`IONQ_BASE_URL` overrides the API address). Otherwise skipped, saying why.
 */
const apiKey = process.env.IONQ_API_KEY;
const skip = !apiKey;
if (skip)
  console.log(
    "live IonQ tests skipped: IONQ_API_KEY is not set (they run against IonQ's free cloud simulator when it is)",
  );

describe.skipIf(skip)('IonQBackend live (IonQ cloud simulator)', () => {
  const backend = new IonQBackend({
    apiKey: apiKey ?? 'unset',
    ...(process.env.IONQ_BASE_URL ? { baseUrl: process.env.IONQ_BASE_URL } : {}),
    jobName: 'q-store live test',
    pollIntervalMs: 500,
  });
  afterAll(() => backend.close());

  it('Bell pair on the ideal simulator: only 00 and 11; bit order with an asymmetric circuit', async () => {
    const [bell, x0] = await backend.sample({
      circuits: [new Circuit(2).h(0).cx(0, 1).toJSON(), new Circuit(3).x(0).toJSON()],
      shots: 1000,
      seed: 1,
    });
    expect(Object.keys(bell?.counts ?? {}).sort()).toEqual(['00', '11']);
    expect(x0?.counts).toEqual({ '001': 1000 });
  }, 300_000);

  it('exact ⟨ZZ⟩ = 1 and a parameter-shift gradient in one job', async () => {
    const circuit = new Circuit(1).ry(0, 'a').toJSON();
    const g = await backend.gradient({
      circuit,
      observables: [[{ coefficient: 1, paulis: 'Z' }]],
      parameters: { a: 0.5 },
    });
    expect(g.values[0]).toBeCloseTo(Math.cos(0.5), 6);
    expect((g.gradients[0] as number[])[0]).toBeCloseTo(-Math.sin(0.5), 6);
  }, 300_000);

  it('submit, then retrieve the job by id on a new backend object', async () => {
    const job = await backend.submit({ circuits: [new Circuit(1).h(0).toJSON()], shots: 100, seed: 2 });
    const again = new IonQBackend({
      apiKey: apiKey ?? 'unset',
      ...(process.env.IONQ_BASE_URL ? { baseUrl: process.env.IONQ_BASE_URL } : {}),
      pollIntervalMs: 500,
    });
    const resumed = await again.retrieve({ id: job.id });
    const [r] = await resumed.wait({ timeoutMs: 240_000 });
    expect(Object.values(r?.counts ?? {}).reduce((s, c) => s + c, 0)).toBe(100);
  }, 300_000);
});
