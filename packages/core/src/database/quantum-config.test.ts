import { describe, expect, it } from 'vitest';
import { quantumRegistry } from '../quantum/quantum-registry.js';
import { ReferenceBackend } from '../quantum/reference-sim.test-helper.js';
import { QuantumDatabase } from './quantum-database.js';

/** `config.quantum` as a registry config (the seed's `quantum_sdk`), built and owned by the database. */
describe('QuantumDatabase: quantum as a registry config', () => {
  it('builds the backend through createQuantumBackend, uses it, and closes it with the database', async () => {
    const built: Array<{ backend: ReferenceBackend; closed: boolean; config: unknown }> = [];
    quantumRegistry.register(
      'config-test',
      (config) => {
        const backend = new ReferenceBackend({ exact: false });
        const entry = { backend, closed: false, config };
        backend.close = async () => {
          entry.closed = true;
        };
        built.push(entry);
        return backend;
      },
      { replace: true },
    );
    try {
      const db = await QuantumDatabase.open({
        backend: { type: 'memory', indexName: 'qcfg' },
        dimension: 2,
        quantum: { type: 'config-test', shotsHint: 7 },
        seed: 1,
      });
      expect(built).toHaveLength(1);
      expect(built[0]?.config).toEqual({ type: 'config-test', shotsHint: 7 });
      await db.insert({ id: 'a', vector: [1, 0], contexts: { x: 1 } });
      const q = await db.query({ vector: [1, 0], topK: 1, context: 'x' });
      expect(q.quantum.used).toBe(true);
      expect(db.getQuantumStats().backend).toBe('reference');
      await db.close();
      expect(built[0]?.closed).toBe(true);
    } finally {
      quantumRegistry.unregister('config-test');
    }
  });

  it('a backend instance is left open for its owner; an unknown type or a bad value is a typed error', async () => {
    const quantum = new ReferenceBackend();
    let closed = false;
    quantum.close = async () => {
      closed = true;
    };
    const db = await QuantumDatabase.open({ backend: { type: 'memory', indexName: 'qcfg2' }, dimension: 2, quantum });
    await db.close();
    expect(closed).toBe(false);
    await expect(
      QuantumDatabase.open({
        backend: { type: 'memory', indexName: 'qcfg3' },
        dimension: 2,
        quantum: { type: 'nope' },
      }),
    ).rejects.toMatchObject({ code: 'UNKNOWN_PLUGIN' });
    await expect(
      QuantumDatabase.open({
        backend: { type: 'memory', indexName: 'qcfg4' },
        dimension: 2,
        quantum: 42 as unknown as { type: string },
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION' });
  });
});
