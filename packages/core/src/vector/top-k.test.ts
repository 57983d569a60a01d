import { describe, expect, it } from 'vitest';
import { createRng } from '../shared/random.js';
import { MEMORY_QUERY_SLICE, MemoryBackend } from './memory-backend.js';
import { TopK } from './top-k.js';

function sortOracle<T extends { id: string; score: number }>(items: T[], k: number): T[] {
  return [...items].sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, k);
}

describe('TopK (bounded heap selection)', () => {
  it('equals sorting every candidate and taking k, ties broken by id, for every k', () => {
    const rng = createRng(7);
    for (const n of [0, 1, 5, 100, 1000]) {
      // few distinct scores, so ties are common
      const items = rng
        .shuffle(Array.from({ length: n }, (_, i) => i))
        .map((i) => ({ id: `id-${i}`, score: Math.floor(rng.float() * 20) / 4 }));
      for (const k of [0, 1, 3, 10, n, n + 5]) {
        const top = new TopK<{ id: string; score: number }>(k);
        for (const item of items) top.offer(item);
        expect(top.sorted(), `n=${n} k=${k}`).toEqual(sortOracle(items, k));
      }
    }
  });
});

describe('MemoryBackend exact query over many records', () => {
  async function filled(n: number): Promise<MemoryBackend> {
    const backend = new MemoryBackend({ indexName: 'topk' });
    await backend.ensureIndex({ dimension: 4, metric: 'dot' });
    const rng = createRng(3);
    const records = Array.from({ length: n }, (_, i) => ({
      id: `r${i}`,
      vector: Array.from({ length: 4 }, () => Math.round(rng.float() * 8) / 8),
      metadata: { even: i % 2 === 0 },
    }));
    for (let i = 0; i < n; i += 1000) await backend.upsert({ records: records.slice(i, i + 1000) });
    return backend;
  }

  it('returns the same top k as a full sort (with ties and a filter)', async () => {
    const backend = await filled(3 * MEMORY_QUERY_SLICE);
    const vector = [0.5, 0.25, 1, 0.125];
    const all = (await backend.query({ vector, topK: 10_000, filter: { even: true } })).matches;
    const top = (await backend.query({ vector, topK: 25, filter: { even: true } })).matches;
    expect(all.length).toBe(10_000);
    expect(top).toEqual(all.slice(0, 25));
    const expectedTop = sortOracle(all, 25);
    expect(top.map((m) => m.id)).toEqual(expectedTop.map((m) => m.id));
    await backend.close();
  });

  it('yields to the event loop between slices and honours an abort between them', async () => {
    const backend = await filled(4 * MEMORY_QUERY_SLICE);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const immediate = new Promise<number>((resolve) => setImmediate(() => resolve(ticks)));
    let settledBeforeImmediate = false;
    const query = backend.query({ vector: [1, 1, 1, 1], topK: 5 }).then((r) => {
      settledBeforeImmediate = true;
      return r;
    });
    await immediate;
    // the scan of 4 slices is not finished when the first setImmediate after it started runs
    expect(settledBeforeImmediate).toBe(false);
    expect((await query).matches.length).toBe(5);
    clearInterval(timer);

    const controller = new AbortController();
    const aborted = backend.query({ vector: [1, 1, 1, 1], topK: 5, signal: controller.signal });
    setImmediate(() => controller.abort());
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
    await backend.close();
  });
});
