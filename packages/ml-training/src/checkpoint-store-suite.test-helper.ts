import { type Checkpoint, type CheckpointStore, NotFoundError, ValidationError } from '@q-store/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCheckpoint, loadCheckpoint, pruneCheckpoints, saveCheckpoint } from './checkpoints.js';

/** Values that a lossy encoding (decimal text, float32, JSON numbers) would change. */
export const TRICKY_PARAMETERS = [
  -0,
  0,
  5e-324,
  -2.2250738585072014e-308,
  1 / 3,
  Math.PI,
  -1.7976931348623157e308,
  Number.EPSILON,
  0.1 + 0.2,
  123456789.12345679,
];

/** True when two Float64Arrays hold the same bits (so −0 ≠ 0). */
export function sameBits(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.every((v, i) => v === y[i]);
}

export interface CheckpointStoreSuiteOptions {
  open(): Promise<CheckpointStore>;
  /** What every URI of the store looks like, given the model id and the padded epoch name. */
  uriPattern(modelId: string, name: string): RegExp;
}

/**
 * The CheckpointStore contract, run against each store (memory as the peer, file, PostgreSQL):
 * exact parameters, the optional fields, validation before writing, replacement, listing order,
 * deletion, and the seed-name helpers over it.
 */
export function describeCheckpointStoreSuite(name: string, options: CheckpointStoreSuiteOptions): void {
  describe(`CheckpointStore contract: ${name}`, () => {
    let store: CheckpointStore;
    let model = 0;
    const nextModel = () => `model-${Date.now().toString(36)}-${++model}`;
    beforeAll(async () => {
      store = await options.open();
      await store.list('warm-up'); // connects / creates tables outside the tests' time limit
    }, 60_000);
    afterAll(() => store.close());

    it('round-trips parameters bit for bit, with optimizer state, metrics, metadata and step', async () => {
      const modelId = nextModel();
      const parameters = new Float64Array(TRICKY_PARAMETERS);
      const checkpoint: Checkpoint = {
        modelId,
        epoch: 7,
        step: 1234,
        parameters,
        optimizerState: { kind: 'adam', t: 35, m: [0.5, -0.25], v: [1e-8, 2.5e-3], nested: { beta1: 0.9, ok: true } },
        metrics: { loss: 0.123456789012345, accuracy: 0.975 },
        metadata: { ansatz: 'hardware-efficient', layers: 3, classes: ['a', 'b'], none: null },
        createdAt: '2025-01-02T03:04:05.678Z',
      };
      const uri = await saveCheckpoint(store, checkpoint);
      expect(uri).toMatch(options.uriPattern(modelId, 'epoch-0007'));
      const loaded = await loadCheckpoint(store, uri);
      expect(sameBits(loaded.parameters, parameters)).toBe(true);
      expect(Object.is(loaded.parameters[0], -0)).toBe(true);
      expect(loaded.parameters[2]).toBe(5e-324);
      expect(loaded).toEqual({ ...checkpoint, parameters: loaded.parameters });
    });

    it('keeps 100,000 random parameters exactly', async () => {
      const modelId = nextModel();
      const parameters = new Float64Array(100_000);
      let x = 0.5;
      for (let i = 0; i < parameters.length; i++) {
        x = (x * 3.9 * (1 - x)) % 1; // logistic map: full-precision, irregular values
        parameters[i] = (x - 0.5) * 10 ** ((i % 40) - 20);
      }
      const loaded = await store.load(await store.save({ modelId, epoch: 0, parameters }));
      expect(sameBits(loaded.parameters, parameters)).toBe(true);
      expect(loaded.optimizerState).toBeUndefined();
      expect(loaded.metrics).toBeUndefined();
      expect(typeof loaded.createdAt).toBe('string');
    });

    it('rejects NaN parameters, infinite metrics and a bad model id before writing anything', async () => {
      const modelId = nextModel();
      const nan = store.save({ modelId, epoch: 1, parameters: new Float64Array([0.1, Number.NaN]) });
      await expect(nan).rejects.toBeInstanceOf(ValidationError);
      await expect(nan).rejects.toMatchObject({ issues: [{ field: 'parameters' }] });
      const inf = store.save({
        modelId,
        epoch: 1,
        parameters: new Float64Array([1]),
        metrics: { loss: Number.POSITIVE_INFINITY },
      });
      await expect(inf).rejects.toMatchObject({ issues: [{ field: 'metrics.loss' }] });
      await expect(
        store.save({ modelId: '../escape', epoch: 1, parameters: new Float64Array(1) }),
      ).rejects.toMatchObject({ issues: [{ field: 'modelId' }] });
      await expect(
        store.save({ modelId, epoch: 1, parameters: [1, 2] as unknown as Float64Array }),
      ).rejects.toBeInstanceOf(ValidationError);
      expect(await store.list(modelId)).toEqual([]);
    });

    it('lists a model’s checkpoints by epoch, replaces a saved epoch, and deletes', async () => {
      const modelId = nextModel();
      const other = nextModel();
      for (const epoch of [10, 2, 7]) await store.save({ modelId, epoch, parameters: new Float64Array([epoch]) });
      await store.save({ modelId: other, epoch: 1, parameters: new Float64Array([99]) });
      const listed = await store.list(modelId);
      expect(listed.map((c) => c.epoch)).toEqual([2, 7, 10]);
      expect(listed.every((c) => c.modelId === modelId && c.createdAt.length > 0)).toBe(true);
      expect(listed[1]?.uri).toMatch(options.uriPattern(modelId, 'epoch-0007'));

      await store.save({ modelId, epoch: 7, parameters: new Float64Array([70, 71]) });
      expect((await store.list(modelId)).map((c) => c.epoch)).toEqual([2, 7, 10]);
      expect([...(await store.load(listed[1]?.uri as string)).parameters]).toEqual([70, 71]);

      expect(await store.delete(listed[0]?.uri as string)).toBe(true);
      expect(await store.delete(listed[0]?.uri as string)).toBe(false);
      await expect(store.load(listed[0]?.uri as string)).rejects.toBeInstanceOf(NotFoundError);
      expect((await store.list(modelId)).map((c) => c.epoch)).toEqual([7, 10]);
      expect((await store.list(other)).map((c) => c.epoch)).toEqual([1]);
      expect(await store.list(nextModel())).toEqual([]);
    });

    it('latestCheckpoint resumes from the highest epoch; pruneCheckpoints keeps the last N', async () => {
      const modelId = nextModel();
      expect(await latestCheckpoint(store, modelId)).toBeUndefined();
      for (const epoch of [1, 3, 2, 4]) await store.save({ modelId, epoch, parameters: new Float64Array([epoch, -0]) });
      const latest = await latestCheckpoint(store, modelId);
      expect(latest?.epoch).toBe(4);
      expect(Object.is(latest?.parameters[1], -0)).toBe(true);
      const pruned = await pruneCheckpoints(store, modelId, { keepLast: 2 });
      expect(pruned.map((c) => c.epoch)).toEqual([1, 2]);
      expect((await store.list(modelId)).map((c) => c.epoch)).toEqual([3, 4]);
      await expect(pruneCheckpoints(store, modelId, { keepLast: -1 })).rejects.toBeInstanceOf(ValidationError);
    });
  });
}
