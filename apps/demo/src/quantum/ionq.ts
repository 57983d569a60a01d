import { createQuantumBackend, quantumRegistry } from '@q-store/core';
import { type IonQBackend, registerIonQ } from '@q-store/quantum-ionq';
import { IonqEmulator } from '@q-store/quantum-ionq/testing';
import type { DemoQuantum, QuantumChoiceOptions } from '../choices.js';

/**
 * `--quantum ionq`: IonQ's cloud simulator through `@q-store/quantum-ionq`, built from the seed's
 * configuration `{type: 'ionq', apiKey, target: 'simulator', noiseModel}`. With `IONQ_API_KEY` set it
 * talks to IonQ itself; otherwise it starts the in-process IonQ emulator and talks to that.
 * `IONQ_NOISE_MODEL` picks the simulator's noise model: default `ideal`; `aria-1` or `forte-1` run
 * the scenario under IonQ's noise (on the emulator the 16-qubit QAOA of tunneling is then too slow to
 * simulate with noise trajectories and falls back to annealing at the deadline, 15 s there, counted in
 * the stats).
 */
export async function openQuantum(options: QuantumChoiceOptions): Promise<DemoQuantum> {
  const apiKey = process.env.IONQ_API_KEY;
  const noiseModel = process.env.IONQ_NOISE_MODEL ?? 'ideal';
  let emulator: IonqEmulator | undefined;
  let baseUrl: string | undefined;
  if (!apiKey) {
    emulator = new IonqEmulator({ apiKeys: ['demo-key'], seed: options.seed });
    baseUrl = await emulator.start();
  }
  if (!quantumRegistry.has('ionq')) registerIonQ();
  try {
    const backend = (await createQuantumBackend({
      type: 'ionq',
      apiKey: apiKey ?? 'demo-key',
      target: 'simulator',
      noiseModel,
      jobName: 'q-store demo',
      ...(baseUrl ? { baseUrl, pollIntervalMs: 5, maxPollIntervalMs: 50 } : {}),
      // On the emulator a noisy 16-qubit job takes minutes of trajectories: wait 15 s (not the
      // simulator's 120 s default), then the job is cancelled and the scenario falls back.
      ...(baseUrl && noiseModel !== 'ideal' ? { timeoutMs: 15_000 } : {}),
    })) as IonQBackend;
    const where = emulator ? `the local IonQ emulator at ${baseUrl}` : `IonQ (${backend.baseUrl})`;
    return {
      backend,
      description: `IonQ simulator, noise model ${noiseModel}, on ${where}`,
      close: async () => {
        await backend.close();
        await emulator?.stop();
        const u = backend.usage();
        options.print(`ionq: ${u.jobs} jobs, ${u.circuits} circuits, ${u.httpRequests} HTTP requests`);
      },
    };
  } catch (error) {
    await emulator?.stop();
    throw error;
  }
}
