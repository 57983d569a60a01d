import { describeQuantumBackendConformance } from '@q-store/core/testing';
import { afterAll, beforeAll } from 'vitest';
import { IonQBackend } from './ionq-backend.js';
import { IonqEmulator } from './testing/index.js';

/**
 * Core's quantum conformance kit against the emulator's ideal simulator (exact probabilities: the
 * kit's exact checks hold to 1e-9, counts are drawn with the call's seed), with the job-model cases
 * (resume by id on a new backend object, cancel, deadline, budget with nothing sent) through the
 * emulator's job count, and once more with the native gate set. Jobs queue 40 ms so that the kit's
 * cancel and deadline cases find them still queued.
 */
const emulator = new IonqEmulator({ timing: { submitMs: 1, queueMs: 40, runMs: 5 } });
let url = '';
beforeAll(async () => {
  url = await emulator.start();
});
afterAll(async () => {
  await emulator.stop();
});

const make = (gateset: 'qis' | 'native', price?: number) => () =>
  new IonQBackend({
    apiKey: 'test-key',
    baseUrl: url,
    gateset,
    pollIntervalMs: 1,
    maxPollIntervalMs: 10,
    ...(price !== undefined ? { pricePerShotUsd: price } : {}),
  });

describeQuantumBackendConformance({
  name: 'IonQBackend (emulator, simulator, qis)',
  create: make('qis', 0.0001),
  jobs: { recreate: make('qis', 0.0001), received: () => emulator.jobCount },
  shots: 2000,
  timeoutMs: 60_000,
});

describeQuantumBackendConformance({
  name: 'IonQBackend (emulator, simulator, native)',
  create: make('native'),
  jobs: { recreate: make('native'), received: () => emulator.jobCount },
  shots: 1000,
  timeoutMs: 60_000,
});
