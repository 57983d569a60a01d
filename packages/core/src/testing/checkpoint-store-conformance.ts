/**
 * The CheckpointStore conformance suite: the executable contract of {@link CheckpointStore}. Every
 * package with a CheckpointStore calls {@link describeCheckpointStoreConformance} from a vitest test file.
 */

import { describe, expect, it } from 'vitest';
import type { Checkpoint, CheckpointStore } from '../stores/stores.js';
import {
  abortedSignal,
  expectStoreError,
  type StoreConformanceOptions,
  sameBits,
  TRICKY_FLOAT64,
  useStoreScope,
} from './store-harness.js';

/** Options of {@link describeCheckpointStoreConformance}. */
export interface CheckpointStoreConformanceOptions extends StoreConformanceOptions<CheckpointStore> {
  /** What every URI of the store looks like, given the model id and the padded epoch name (`epoch-0007`). */
  uriPattern(modelId: string, name: string): RegExp;
  /** URIs the store must refuse as malformed (a VALIDATION error naming `uri`), e.g. another store's. */
  malformedUris?: string[];
  /** Parameters of the large-checkpoint test (default 250,000: 2 MB). */
  largeParameterCount?: number;
  /** Reasons to skip what the store cannot do; each skipped test reports its reason. */
  skip?: {
    /** `create` with the same scope cannot open a second handle on the same data. */
    sharedScope?: string;
  };
}

let modelCounter = 0;
const nextModel = () => `model-${Date.now().toString(36)}-${++modelCounter}`;

/** Irregular full-precision values over 40 decades (a logistic map), seeded by `seed`. */
function irregular(count: number, seed = 0.5): Float64Array {
  const out = new Float64Array(count);
  let x = seed;
  for (let i = 0; i < count; i++) {
    x = (x * 3.9 * (1 - x)) % 1;
    out[i] = (x - 0.5) * 10 ** ((i % 40) - 20);
  }
  return out;
}

/**
 * Registers the CheckpointStore suite: bit-exact parameters with every optional field, large
 * checkpoints, URIs, list order and isolation, the latest epoch, replacement, delete, atomic
 * visibility of a replacement, validation before writing, aborted and closed calls.
 */
export function describeCheckpointStoreConformance(options: CheckpointStoreConformanceOptions): void {
  const large = options.largeParameterCount ?? 250_000;
  const skipShared = options.skip?.sharedScope;

  describe(`CheckpointStore conformance: ${options.name}`, { timeout: options.timeoutMs }, () => {
    const s = useStoreScope(options, 'ckpt');

    describe('save and load', () => {
      it('round-trips parameters bit for bit, with step, optimizer state, metrics, metadata and createdAt', async () => {
        const store = await s.open();
        const modelId = nextModel();
        const parameters = new Float64Array(TRICKY_FLOAT64);
        const checkpoint: Checkpoint = {
          modelId,
          epoch: 7,
          step: 1234,
          parameters,
          optimizerState: {
            kind: 'adam',
            t: 35,
            m: [0.5, -0.25],
            v: [1e-300, 2.5e-3],
            nested: { ok: true, none: null },
          },
          metrics: { loss: 0.123456789012345, accuracy: 0.975 },
          metadata: { ansatz: 'hardware-efficient', layers: 3, classes: ['a', 'b'], note: 'ünïcødé', none: null },
          createdAt: '2025-01-02T03:04:05.678Z',
        };
        const uri = await store.save(checkpoint);
        expect(uri).toMatch(options.uriPattern(modelId, 'epoch-0007'));
        const loaded = await store.load(uri);
        expect(loaded.parameters).toBeInstanceOf(Float64Array);
        expect(sameBits(loaded.parameters, parameters)).toBe(true);
        expect(Object.is(loaded.parameters[0], -0)).toBe(true);
        expect(loaded).toEqual({ ...checkpoint, parameters: loaded.parameters });
      });

      it('leaves optional fields out when not given and stamps createdAt as an ISO time', async () => {
        const store = await s.open();
        const before = Date.now();
        const loaded = await store.load(
          await store.save({ modelId: nextModel(), epoch: 0, parameters: new Float64Array(0) }),
        );
        expect(loaded.parameters.length).toBe(0);
        for (const field of ['step', 'optimizerState', 'metrics', 'metadata'] as const) {
          expect(loaded[field], field).toBeUndefined();
        }
        const created = Date.parse(loaded.createdAt as string);
        expect(new Date(created).toISOString()).toBe(loaded.createdAt);
        expect(created).toBeGreaterThanOrEqual(before - 60_000);
      });

      it(`keeps a large checkpoint (${large.toLocaleString('en')} parameters) exactly`, async () => {
        const store = await s.open();
        const parameters = irregular(large);
        const uri = await store.save({ modelId: nextModel(), epoch: 3, parameters });
        expect(sameBits((await store.load(uri)).parameters, parameters)).toBe(true);
      });

      it('stores by value: mutating the saved or the loaded parameters changes nothing stored', async () => {
        const store = await s.open();
        const parameters = new Float64Array([1, 2, 3]);
        const optimizerState = { m: [1] };
        const uri = await store.save({ modelId: nextModel(), epoch: 1, parameters, optimizerState });
        parameters[0] = 99;
        optimizerState.m.push(2);
        const loaded = await store.load(uri);
        loaded.parameters[1] = 99;
        const again = await store.load(uri);
        expect([...again.parameters]).toEqual([1, 2, 3]);
        expect(again.optimizerState).toEqual({ m: [1] });
      });

      it('takes any safe-integer epoch, with at least four digits in the URI', async () => {
        const store = await s.open();
        const modelId = nextModel();
        for (const epoch of [0, 9999, 12_345, 2 ** 31, Number.MAX_SAFE_INTEGER]) {
          const uri = await store.save({ modelId, epoch, parameters: new Float64Array([epoch]) });
          expect(uri).toMatch(options.uriPattern(modelId, `epoch-${String(epoch).padStart(4, '0')}`));
          expect((await store.load(uri)).epoch).toBe(epoch);
        }
        expect((await store.list(modelId)).map((c) => c.epoch)).toEqual([
          0,
          9999,
          12_345,
          2 ** 31,
          Number.MAX_SAFE_INTEGER,
        ]);
      });
    });

    describe('list, latest and delete', () => {
      it('lists one model’s checkpoints oldest epoch first, with URIs that load and createdAt', async () => {
        const store = await s.open();
        const modelId = nextModel();
        const other = nextModel();
        const uris = new Map<number, string>();
        for (const epoch of [10, 2, 7]) {
          uris.set(epoch, await store.save({ modelId, epoch, parameters: new Float64Array([epoch]) }));
        }
        await store.save({ modelId: other, epoch: 1, parameters: new Float64Array([99]) });
        const listed = await store.list(modelId);
        expect(listed.map((c) => c.epoch)).toEqual([2, 7, 10]);
        for (const info of listed) {
          expect(info.modelId).toBe(modelId);
          expect(info.uri).toBe(uris.get(info.epoch));
          const loaded = await store.load(info.uri);
          expect(loaded.epoch).toBe(info.epoch);
          expect(loaded.createdAt).toBe(info.createdAt);
        }
        expect((await store.list(other)).map((c) => c.epoch)).toEqual([1]);
        expect(await store.list(nextModel())).toEqual([]);
      });

      it('the latest checkpoint is the last listed: the highest epoch, whatever the save order', async () => {
        const store = await s.open();
        const modelId = nextModel();
        for (const epoch of [1, 4, 3, 2]) {
          await store.save({ modelId, epoch, parameters: new Float64Array([epoch, -0]) });
        }
        const latest = (await store.list(modelId)).at(-1);
        expect(latest?.epoch).toBe(4);
        const loaded = await store.load(latest?.uri as string);
        expect([...loaded.parameters]).toEqual([4, -0]);
        expect(Object.is(loaded.parameters[1], -0)).toBe(true);
      });

      it('saving an epoch again replaces it, under the same URI', async () => {
        const store = await s.open();
        const modelId = nextModel();
        const first = await store.save({ modelId, epoch: 7, parameters: new Float64Array([1]), metrics: { loss: 1 } });
        const second = await store.save({ modelId, epoch: 7, parameters: new Float64Array([70, 71]) });
        expect(second).toBe(first);
        expect((await store.list(modelId)).map((c) => c.epoch)).toEqual([7]);
        const loaded = await store.load(first);
        expect([...loaded.parameters]).toEqual([70, 71]);
        expect(loaded.metrics).toBeUndefined();
      });

      it('delete answers whether it removed something; a deleted checkpoint is NOT_FOUND and unlisted', async () => {
        const store = await s.open();
        const modelId = nextModel();
        const a = await store.save({ modelId, epoch: 1, parameters: new Float64Array([1]) });
        const b = await store.save({ modelId, epoch: 2, parameters: new Float64Array([2]) });
        expect(await store.delete(a)).toBe(true);
        expect(await store.delete(a)).toBe(false);
        await expectStoreError(store.load(a), 'NOT_FOUND');
        expect((await store.list(modelId)).map((c) => c.uri)).toEqual([b]);
        expect([...(await store.load(b)).parameters]).toEqual([2]);
      });
    });

    describe('atomic visibility', () => {
      it('while an epoch is being replaced, loads and lists see the old or the new checkpoint whole', async () => {
        const store = await s.open();
        const modelId = nextModel();
        const old = new Float64Array([1, 2, 3]);
        const uri = await store.save({ modelId, epoch: 5, parameters: old, metrics: { loss: 1 } });
        const replacement = irregular(large, 0.25);
        let done = false;
        const saving = store.save({ modelId, epoch: 5, parameters: replacement, metrics: { loss: 2 } }).finally(() => {
          done = true;
        });
        let reads = 0;
        do {
          const [loaded, listed] = await Promise.all([store.load(uri), store.list(modelId)]);
          expect(listed.map((c) => c.uri)).toEqual([uri]);
          if (loaded.metrics?.loss === 1) {
            expect(sameBits(loaded.parameters, old)).toBe(true);
          } else {
            expect(loaded.metrics).toEqual({ loss: 2 });
            expect(sameBits(loaded.parameters, replacement)).toBe(true);
          }
          reads++;
        } while (!done && reads < 1000);
        expect(await saving).toBe(uri);
        expect(reads).toBeGreaterThan(0);
        expect(sameBits((await store.load(uri)).parameters, replacement)).toBe(true);
      });

      it('concurrent saves of different epochs all land', async () => {
        const store = await s.open();
        const modelId = nextModel();
        const epochs = Array.from({ length: 12 }, (_, i) => i);
        await Promise.all(
          epochs.map((epoch) => store.save({ modelId, epoch, parameters: irregular(1000, 0.1 + epoch / 20) })),
        );
        const listed = await store.list(modelId);
        expect(listed.map((c) => c.epoch)).toEqual(epochs);
        for (const info of listed) {
          expect(sameBits((await store.load(info.uri)).parameters, irregular(1000, 0.1 + info.epoch / 20))).toBe(true);
        }
      });
    });

    describe('bad input', () => {
      it('rejects a bad checkpoint with a VALIDATION error naming each field, writing nothing', async () => {
        const store = await s.open();
        const modelId = nextModel();
        const ok = { modelId, epoch: 1, parameters: new Float64Array([1]) };
        const cases: Array<[Partial<Checkpoint> & Record<string, unknown>, string[]]> = [
          [{ parameters: new Float64Array([0.1, Number.NaN]) }, ['parameters']],
          [{ parameters: new Float64Array([Number.NEGATIVE_INFINITY]) }, ['parameters']],
          [{ parameters: [1, 2] as unknown as Float64Array }, ['parameters']],
          [{ parameters: new Float32Array([1]) as unknown as Float64Array }, ['parameters']],
          [{ metrics: { loss: Number.POSITIVE_INFINITY } }, ['metrics.loss']],
          [{ metrics: { loss: 'low' as unknown as number } }, ['metrics.loss']],
          [{ optimizerState: { m: [Number.NaN] } }, ['optimizerState.m[0]']],
          [{ metadata: { when: new Date() as unknown as string } }, ['metadata.when']],
          [{ modelId: '../escape' }, ['modelId']],
          [{ modelId: 'Upper Case' }, ['modelId']],
          [{ modelId: '' }, ['modelId']],
          [{ epoch: -1 }, ['epoch']],
          [{ epoch: 1.5 }, ['epoch']],
          [{ epoch: 2 ** 53 }, ['epoch']],
          [{ step: -3 }, ['step']],
          [{ epoch: -1, parameters: new Float64Array([Number.NaN]) }, ['epoch', 'parameters']],
        ];
        for (const [change, fields] of cases) {
          await expectStoreError(store.save({ ...ok, ...change } as Checkpoint), 'VALIDATION', ...fields);
        }
        expect(await store.list(modelId)).toEqual([]);
      });

      it('a bad replacement leaves the saved checkpoint as it was', async () => {
        const store = await s.open();
        const modelId = nextModel();
        const uri = await store.save({ modelId, epoch: 2, parameters: new Float64Array([2, 2]) });
        await expectStoreError(
          store.save({ modelId, epoch: 2, parameters: new Float64Array([Number.NaN]) }),
          'VALIDATION',
          'parameters',
        );
        expect([...(await store.load(uri)).parameters]).toEqual([2, 2]);
      });

      it('refuses malformed URIs with VALIDATION and unknown ones with NOT_FOUND', async () => {
        const store = await s.open();
        for (const uri of ['', 'not a uri', ...(options.malformedUris ?? [])]) {
          await expectStoreError(store.load(uri), 'VALIDATION', 'uri');
        }
        const modelId = nextModel();
        const uri = await store.save({ modelId, epoch: 1, parameters: new Float64Array([1]) });
        const unknown = uri.replace(modelId, nextModel());
        await expectStoreError(store.load(unknown), 'NOT_FOUND');
        expect(await store.delete(unknown)).toBe(false);
      });
    });

    describe('lifecycle', () => {
      it('a save with an aborted signal fails with ABORTED and writes nothing', async () => {
        const store = await s.open();
        const modelId = nextModel();
        await expectStoreError(
          store.save({ modelId, epoch: 1, parameters: new Float64Array([1]) }, { signal: abortedSignal() }),
          'ABORTED',
        );
        expect(await store.list(modelId)).toEqual([]);
        await expectStoreError(store.list(modelId, { signal: abortedSignal() }), 'ABORTED');
      });

      it('checkpoints outlive a handle: another handle of the scope lists and loads them', async (ctx) => {
        if (skipShared !== undefined) return ctx.skip(skipShared);
        const first = await s.open();
        const modelId = nextModel();
        const uri = await first.save({ modelId, epoch: 3, parameters: new Float64Array(TRICKY_FLOAT64) });
        await first.close();
        const second = await s.open();
        expect((await second.list(modelId)).map((c) => c.uri)).toEqual([uri]);
        expect(sameBits((await second.load(uri)).parameters, new Float64Array(TRICKY_FLOAT64))).toBe(true);
      });

      it('fails every call with CLOSED after close (close is idempotent)', async () => {
        const store = await s.open();
        const modelId = nextModel();
        const uri = await store.save({ modelId, epoch: 1, parameters: new Float64Array([1]) });
        await store.close();
        await store.close();
        await expectStoreError(store.save({ modelId, epoch: 2, parameters: new Float64Array([1]) }), 'CLOSED');
        await expectStoreError(store.load(uri), 'CLOSED');
        await expectStoreError(store.list(modelId), 'CLOSED');
        await expectStoreError(store.delete(uri), 'CLOSED');
      });
    });
  });
}
