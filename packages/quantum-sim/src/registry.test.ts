import { createQuantumBackend, type QuantumBackend, quantumRegistry } from '@q-store/core';
import { PluginRegistry } from '@q-store/core/backend';
import { describe, expect, it } from 'vitest';
import { registerStateVectorSimulator } from './registry.js';
import { StateVectorSimulator } from './state-vector-simulator.js';

describe('registerStateVectorSimulator', () => {
  it("createQuantumBackend({type: 'state-vector'}) and the seed's 'mock' build the simulator with its options", async () => {
    const registry = registerStateVectorSimulator(new PluginRegistry<QuantumBackend>('quantum backend'));
    expect(registry.types()).toEqual(['mock', 'state-vector']);
    const noisy = await registry.create({
      type: 'state-vector',
      noise: { depolarizing: 0.01 },
      defaultTimeoutMs: 1234,
    });
    expect(noisy).toBeInstanceOf(StateVectorSimulator);
    expect(noisy.type).toBe('state-vector');
    expect(noisy.capabilities.exact).toBe(false);
    expect(noisy.capabilities.defaultTimeoutMs).toBe(1234);
    const mock = await registry.create({ type: 'mock' });
    expect(mock.type).toBe('state-vector');
    const [bell] = await mock.sample({
      circuits: [
        {
          numQubits: 2,
          operations: [
            { gate: 'h', qubits: [0] },
            { gate: 'cx', qubits: [0, 1] },
          ],
        },
      ],
      shots: 100,
      seed: 1,
    });
    expect(Object.keys(bell?.counts ?? {}).sort()).toEqual(['00', '11']);
    await expect(registry.create({ type: 'state-vector', noise: { depolarizing: 2 } })).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    expect(() => registerStateVectorSimulator(registry)).toThrow(/already registered/);
  });

  it('registers with the default registry for createQuantumBackend', async () => {
    registerStateVectorSimulator(quantumRegistry, { replace: true });
    const sim = await createQuantumBackend({ type: 'state-vector' });
    expect(sim.type).toBe('state-vector');
    await sim.close();
    await expect(createQuantumBackend({ type: 'no-such' })).rejects.toMatchObject({ code: 'UNKNOWN_PLUGIN' });
  });
});
