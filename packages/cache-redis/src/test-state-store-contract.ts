/**
 * Test utility (not part of the published build): the behaviour every StateStore shares, run here
 * on RedisStateStore and on core's MemoryStateStore as the reference.
 */
import type { StateStore } from '@q-store/core';
import { describe, expect, it } from 'vitest';

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const k of iterable) out.push(k);
  return out.sort();
}

export function describeStateStoreContract(name: string, create: () => Promise<StateStore> | StateStore): void {
  describe(`StateStore contract: ${name}`, () => {
    it('stores JSON documents by value: the caller’s object and the returned one are copies', async () => {
      const store = await create();
      const doc = { members: ['a', 'b'], correlation: 0.8, nested: { ok: true, none: null } };
      await store.set('group:1', doc);
      doc.members.push('c');
      const read = await store.get<typeof doc>('group:1');
      expect(read).toEqual({ members: ['a', 'b'], correlation: 0.8, nested: { ok: true, none: null } });
      read?.members.push('mutated');
      expect(await store.get('group:1')).toEqual({
        members: ['a', 'b'],
        correlation: 0.8,
        nested: { ok: true, none: null },
      });
      await store.set('scalar', 'text');
      expect(await store.get('scalar')).toBe('text');
      expect(await store.get('missing')).toBeUndefined();
      await store.close();
    });

    it('expires a key after its TTL (temporary storage); a set without TTL does not expire', async () => {
      const store = await create();
      await store.set('temp', 1, { ttlMs: 40 });
      await store.set('kept', 2);
      expect(await store.get('temp')).toBe(1);
      await new Promise((r) => setTimeout(r, 120));
      expect(await store.get('temp')).toBeUndefined();
      expect(await store.get('kept')).toBe(2);
      await store.close();
    });

    it('rejects an empty key and a non-positive TTL naming the field', async () => {
      const store = await create();
      await expect(store.get('')).rejects.toMatchObject({ code: 'VALIDATION', issues: [{ field: 'key' }] });
      await expect(store.set('x', 1, { ttlMs: -5 })).rejects.toMatchObject({
        code: 'VALIDATION',
        issues: [{ field: 'ttlMs' }],
      });
      expect(await store.get('x')).toBeUndefined();
      await store.close();
    });

    it('updates atomically under 200 concurrent updates and deletes when fn returns undefined', async () => {
      const store = await create();
      await Promise.all(Array.from({ length: 200 }, () => store.update<number>('counter', (n) => (n ?? 0) + 1)));
      expect(await store.get('counter')).toBe(200);
      expect(await store.update<number>('counter', (n) => (n ?? 0) * 2)).toBe(400);
      expect(await store.update('counter', () => undefined)).toBeUndefined();
      expect(await store.get('counter')).toBeUndefined();
      await store.close();
    });

    it('keeps the TTL of a key through update', async () => {
      const store = await create();
      await store.set('short', 1, { ttlMs: 60 });
      await store.update<number>('short', (n) => (n ?? 0) + 1);
      expect(await store.get('short')).toBe(2);
      await new Promise((r) => setTimeout(r, 150));
      expect(await store.get('short')).toBeUndefined();
      await store.close();
    });

    it('lists keys by prefix (literally, even with glob characters) and deletes', async () => {
      const store = await create();
      await store.set('group:a', 1);
      await store.set('group:b', 2);
      await store.set('model:x', 3);
      await store.set('odd*[k]?', 4);
      await store.set('odd-other', 5);
      expect(await collect(store.keys({ prefix: 'group:' }))).toEqual(['group:a', 'group:b']);
      expect(await collect(store.keys({ prefix: 'odd*[' }))).toEqual(['odd*[k]?']);
      expect(await collect(store.keys())).toEqual(['group:a', 'group:b', 'model:x', 'odd*[k]?', 'odd-other']);
      expect(await store.delete('group:a')).toBe(true);
      expect(await store.delete('group:a')).toBe(false);
      expect(await collect(store.keys({ prefix: 'group:' }))).toEqual(['group:b']);
      await store.close();
    });

    it('fails with CLOSED after close', async () => {
      const store = await create();
      await store.close();
      await expect(store.get('model:x')).rejects.toMatchObject({ code: 'CLOSED' });
    });
  });
}
