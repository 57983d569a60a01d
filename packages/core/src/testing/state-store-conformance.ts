/**
 * The StateStore conformance suite: the executable contract of {@link StateStore}. Every package
 * with a StateStore calls {@link describeStateStoreConformance} from a vitest test file.
 */

import { describe, expect, it } from 'vitest';
import type { JsonValue, StateStore } from '../stores/stores.js';
import { MAX_ID_LENGTH } from '../vector/validation.js';
import {
  abortedSignal,
  collectSorted,
  expectStoreError,
  type StoreConformanceOptions,
  useStoreScope,
} from './store-harness.js';

/** Options of {@link describeStateStoreConformance}. */
export interface StateStoreConformanceOptions extends StoreConformanceOptions<StateStore> {
  /** Reasons to skip what the store cannot do; each skipped test reports its reason. */
  skip?: {
    /** The store keeps no time to live (`set(..., {ttlMs})`). */
    ttl?: string;
    /** `create` with the same scope cannot open a second handle on the same data. */
    sharedScope?: string;
  };
  /** Time to live used by the TTL tests, in ms (default 60); the tests wait 3× it plus 60 ms. */
  ttlMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Documents that must round-trip exactly: every JSON type, nesting, unicode, and null itself. */
const DOCUMENTS: Array<[string, JsonValue]> = [
  ['object', { members: ['a', 'b'], correlation: 0.8, nested: { ok: true, none: null, deep: [[1], { x: -2.5e-10 }] } }],
  ['array', [1, 'two', false, null, { three: 3 }]],
  ['string', 'ünïcødé ✓ "quoted" \\ back'],
  ['empty-string', ''],
  ['number', -1234.5678e-3],
  ['zero', 0],
  ['false', false],
  ['null', null],
  ['empty-object', {}],
  ['empty-array', []],
];

/**
 * Registers the StateStore suite: documents by value, every JSON type, key limits, TTL (set, kept by
 * update, cleared by a plain set, expired keys absent from get/update/delete/keys), atomic update
 * under 200 concurrent calls (and across two handles of one scope), delete's answer, keys by prefix
 * (literal, past one page), aborted and closed calls.
 */
export function describeStateStoreConformance(options: StateStoreConformanceOptions): void {
  const ttl = options.ttlMs ?? 60;
  const expired = () => sleep(3 * ttl + 60);
  const skipTtl = options.skip?.ttl;
  const skipShared = options.skip?.sharedScope;

  describe(`StateStore conformance: ${options.name}`, { timeout: options.timeoutMs }, () => {
    const s = useStoreScope(options, 'state');

    describe('documents', () => {
      it('round-trips every JSON type exactly; a missing key reads as undefined', async () => {
        const store = await s.open();
        for (const [key, value] of DOCUMENTS) await store.set(`doc:${key}`, value);
        for (const [key, value] of DOCUMENTS) expect(await store.get(`doc:${key}`), key).toEqual(value);
        expect(await store.get('doc:null')).toBeNull();
        expect(await store.get('doc:missing')).toBeUndefined();
      });

      it('stores by value: neither the caller’s object nor a returned one aliases the stored document', async () => {
        const store = await s.open();
        const doc = { members: ['a', 'b'], n: 1 };
        await store.set('group:1', doc);
        doc.members.push('c');
        const read = await store.get<typeof doc>('group:1');
        expect(read).toEqual({ members: ['a', 'b'], n: 1 });
        read?.members.push('mutated');
        expect(await store.get('group:1')).toEqual({ members: ['a', 'b'], n: 1 });
      });

      it('refuses a value with no JSON text (undefined, a function, a BigInt, a cycle) naming it, writing nothing', async () => {
        const store = await s.open();
        await store.set('kept', 1);
        const cycle: Record<string, unknown> = {};
        cycle.self = cycle;
        for (const bad of [undefined, () => 1, 10n, cycle]) {
          await expectStoreError(store.set('bad', bad as JsonValue), 'VALIDATION', 'value');
          // From update, undefined means delete; the others must be refused.
          if (bad !== undefined)
            await expectStoreError(
              store.update('kept', () => bad as JsonValue),
              'VALIDATION',
            );
        }
        expect(await store.get('bad')).toBeUndefined();
        expect(await store.get('kept')).toBe(1);
      });

      it('set replaces a document; a 100 KB document round-trips', async () => {
        const store = await s.open();
        await store.set('k', { v: 1 });
        await store.set('k', ['replaced']);
        expect(await store.get('k')).toEqual(['replaced']);
        const big = { rows: Array.from({ length: 2000 }, (_, i) => ({ i, text: `row-${i}-${'x'.repeat(30)}` })) };
        await store.set('big', big);
        expect(await store.get('big')).toEqual(big);
      });
    });

    describe('keys', () => {
      it(`takes keys of 1 to ${MAX_ID_LENGTH} characters verbatim, quotes and wildcards included`, async () => {
        const store = await s.open();
        const keys = [
          'k'.repeat(MAX_ID_LENGTH),
          'a',
          "'; DROP TABLE qstore_state; --",
          'a" OR "1"="1',
          'back\\slash',
          '%_like_',
          'glob*[k]?',
          '$1',
          'ünï/cødé:✓',
          ' spaced ',
        ];
        for (const [i, key] of keys.entries()) await store.set(key, { i });
        for (const [i, key] of keys.entries()) expect(await store.get(key), key).toEqual({ i });
        expect(await collectSorted(store.keys())).toEqual([...keys].sort());
      });

      it('rejects an empty, too long, NUL-holding or non-string key naming `key`, writing nothing', async () => {
        const store = await s.open();
        const bad: unknown[] = ['', 'k'.repeat(MAX_ID_LENGTH + 1), 'nul\0key', 42, undefined];
        for (const key of bad) {
          await expectStoreError(store.get(key as string), 'VALIDATION', 'key');
          await expectStoreError(store.set(key as string, 1), 'VALIDATION', 'key');
          await expectStoreError(
            store.update(key as string, () => 1),
            'VALIDATION',
            'key',
          );
          await expectStoreError(store.delete(key as string), 'VALIDATION', 'key');
        }
        expect(await collectSorted(store.keys())).toEqual([]);
      });

      it('lists keys by prefix, literally (wildcards and LIKE characters match only themselves)', async () => {
        const store = await s.open();
        for (const key of ['group:a', 'group:b', 'groups', 'model:x', 'odd*[k]?', 'odd-other', '%x', '_y', 'ab']) {
          await store.set(key, 1);
        }
        expect(await collectSorted(store.keys({ prefix: 'group:' }))).toEqual(['group:a', 'group:b']);
        expect(await collectSorted(store.keys({ prefix: 'group' }))).toEqual(['group:a', 'group:b', 'groups']);
        expect(await collectSorted(store.keys({ prefix: 'odd*[' }))).toEqual(['odd*[k]?']);
        expect(await collectSorted(store.keys({ prefix: '%' }))).toEqual(['%x']);
        expect(await collectSorted(store.keys({ prefix: '_' }))).toEqual(['_y']);
        expect(await collectSorted(store.keys({ prefix: 'none:' }))).toEqual([]);
        await expectStoreError(store.keys({ prefix: 42 as unknown as string }), 'VALIDATION', 'prefix');
        expect(await collectSorted(store.keys())).toEqual(
          ['%x', '_y', 'ab', 'group:a', 'group:b', 'groups', 'model:x', 'odd*[k]?', 'odd-other'].sort(),
        );
      });

      it('lists 700 keys, each once (past a page of 500)', async () => {
        const store = await s.open();
        const keys = Array.from({ length: 700 }, (_, i) => `page:${String(i).padStart(4, '0')}`);
        for (let i = 0; i < keys.length; i += 100) {
          await Promise.all(keys.slice(i, i + 100).map((k, j) => store.set(k, i + j)));
        }
        await store.set('other', 0);
        const listed: string[] = [];
        for await (const key of store.keys({ prefix: 'page:' })) listed.push(key);
        expect(listed.length).toBe(keys.length);
        expect(listed.sort()).toEqual(keys);
      });
    });

    describe('delete', () => {
      it('answers whether the key existed and removes it from get and keys', async () => {
        const store = await s.open();
        await store.set('a', 1);
        await store.set('b', null);
        expect(await store.delete('a')).toBe(true);
        expect(await store.delete('a')).toBe(false);
        expect(await store.delete('never')).toBe(false);
        expect(await store.delete('b')).toBe(true);
        expect(await store.get('a')).toBeUndefined();
        expect(await collectSorted(store.keys())).toEqual([]);
      });
    });

    describe('update', () => {
      it('passes the current value (undefined when absent), writes and returns fn’s result; undefined deletes', async () => {
        const store = await s.open();
        const seen: unknown[] = [];
        const first = await store.update<{ n: number }>('doc', (current) => {
          seen.push(current);
          return { n: (current?.n ?? 0) + 1 };
        });
        expect(first).toEqual({ n: 1 });
        expect(seen.at(-1)).toBeUndefined();
        expect(await store.update<{ n: number }>('doc', (c) => ({ n: (c?.n ?? 0) * 10 }))).toEqual({ n: 10 });
        expect(await store.get('doc')).toEqual({ n: 10 });
        expect(await store.update('doc', () => undefined)).toBeUndefined();
        expect(await store.get('doc')).toBeUndefined();
        expect(await collectSorted(store.keys())).toEqual([]);
        expect(await store.update('absent', () => undefined)).toBeUndefined();
        expect(await store.get('absent')).toBeUndefined();
      });

      it('loses no write under 200 concurrent updates of one key', async () => {
        const store = await s.open();
        await Promise.all(Array.from({ length: 200 }, () => store.update<number>('counter', (n) => (n ?? 0) + 1)));
        expect(await store.get('counter')).toBe(200);
      });

      it('loses no write when updates of one key interleave with updates of others', async () => {
        const store = await s.open();
        const keys = ['x', 'y', 'z'];
        await Promise.all(
          Array.from({ length: 150 }, (_, i) =>
            store.update<number[]>(keys[i % 3] as string, (list) => [...(list ?? []), i]),
          ),
        );
        for (const [k, key] of keys.entries()) {
          const list = (await store.get<number[]>(key)) ?? [];
          expect(list.length, key).toBe(50);
          expect([...list].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => 3 * i + k));
        }
      });

      it('a throwing fn fails the update and leaves the document as it was', async () => {
        const store = await s.open();
        await store.set('doc', { v: 1 });
        await expect(
          store.update('doc', () => {
            throw new Error('refused');
          }),
        ).rejects.toThrow('refused');
        expect(await store.get('doc')).toEqual({ v: 1 });
      });

      it('loses no write when two handles of one scope update one key (two connections)', async (ctx) => {
        if (skipShared !== undefined) return ctx.skip(skipShared);
        const [a, b] = [await s.open(), await s.open()];
        await Promise.all(
          Array.from({ length: 60 }, (_, i) =>
            (i % 2 === 0 ? a : b).update<{ n: number }>('shared', (d) => ({ n: (d?.n ?? 0) + 1 })),
          ),
        );
        expect(await a.get('shared')).toEqual({ n: 60 });
        expect(await b.get('shared')).toEqual({ n: 60 });
      });
    });

    describe('time to live', () => {
      it('expires a key after its TTL; a key set without TTL stays', async (ctx) => {
        if (skipTtl !== undefined) return ctx.skip(skipTtl);
        const store = await s.open();
        await store.set('temp', 1, { ttlMs: ttl });
        await store.set('kept', 2);
        expect(await store.get('temp')).toBe(1);
        await expired();
        expect(await store.get('temp')).toBeUndefined();
        expect(await store.get('kept')).toBe(2);
        expect(await collectSorted(store.keys())).toEqual(['kept']);
        expect(await store.delete('temp')).toBe(false);
      });

      it('update keeps a key’s TTL; a plain set clears it; an expired key reads as undefined in fn', async (ctx) => {
        if (skipTtl !== undefined) return ctx.skip(skipTtl);
        const store = await s.open();
        await store.set('short', 1, { ttlMs: ttl });
        expect(await store.update<number>('short', (n) => (n ?? 0) + 1)).toBe(2);
        await store.set('cleared', 1, { ttlMs: ttl });
        await store.set('cleared', 5);
        await store.set('gone', 41, { ttlMs: ttl });
        await expired();
        expect(await store.get('short')).toBeUndefined();
        expect(await store.get('cleared')).toBe(5);
        expect(await store.update<number>('gone', (n) => (n === undefined ? 1 : n + 1))).toBe(1);
        expect(await store.get('gone')).toBe(1);
      });

      it('rejects a zero, negative, infinite or non-number TTL naming `ttlMs`, writing nothing', async (ctx) => {
        if (skipTtl !== undefined) return ctx.skip(skipTtl);
        const store = await s.open();
        for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY, '100']) {
          await expectStoreError(store.set('x', 1, { ttlMs: bad as number }), 'VALIDATION', 'ttlMs');
        }
        expect(await store.get('x')).toBeUndefined();
      });
    });

    describe('lifecycle', () => {
      it('a call with an aborted signal fails with ABORTED and writes nothing', async () => {
        const store = await s.open();
        await store.set('kept', 1);
        const signal = abortedSignal();
        await expectStoreError(store.set('new', 1, { signal }), 'ABORTED');
        await expectStoreError(
          store.update('kept', () => 2, { signal }),
          'ABORTED',
        );
        await expectStoreError(store.delete('kept', { signal }), 'ABORTED');
        await expectStoreError(store.get('kept', { signal }), 'ABORTED');
        await expectStoreError(store.keys({ signal }), 'ABORTED');
        expect(await store.get('new')).toBeUndefined();
        expect(await store.get('kept')).toBe(1);
      });

      it('documents outlive a handle: another handle of the scope reads them', async (ctx) => {
        if (skipShared !== undefined) return ctx.skip(skipShared);
        const first = await s.open();
        await first.set('persisted', { v: [1, 2] });
        await first.close();
        const second = await s.open();
        expect(await second.get('persisted')).toEqual({ v: [1, 2] });
      });

      it('fails every call with CLOSED after close (close is idempotent)', async () => {
        const store = await s.open();
        await store.set('x', 1);
        await store.close();
        await store.close();
        await expectStoreError(store.get('x'), 'CLOSED');
        await expectStoreError(store.set('x', 2), 'CLOSED');
        await expectStoreError(
          store.update('x', () => 3),
          'CLOSED',
        );
        await expectStoreError(store.delete('x'), 'CLOSED');
        await expectStoreError(store.keys(), 'CLOSED');
      });
    });
  });
}
