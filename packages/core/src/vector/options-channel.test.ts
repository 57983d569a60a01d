import { describe, expect, it } from 'vitest';
import type { HookParams, NormalizedQuery } from '../backend.js';
import { MemoryBackend } from './memory-backend.js';
import type { BackendCapabilities, IndexStats, QueryMatch } from './types.js';

type ProbeOptions = { boost?: number };

/** Reads its own `options.probe.boost` in every hook it overrides and records what each hook saw. */
class ProbeBackend extends MemoryBackend {
  override readonly type = 'probe' as 'memory';
  readonly seen: Array<{ hook: string; options: unknown }> = [];
  protected override parseOptions(raw: Readonly<Record<string, unknown>> | undefined): ProbeOptions {
    if (raw === undefined) return {};
    const { boost, ...rest } = raw;
    if (Object.keys(rest).length > 0) throw new Error(`unknown ${Object.keys(rest).join()}`);
    return boost === undefined ? {} : { boost: Number(boost) };
  }
  protected override async doQuery(q: NormalizedQuery): Promise<QueryMatch[]> {
    this.seen.push({ hook: 'query', options: q.options });
    const boost = (q.options as ProbeOptions).boost ?? 0;
    return (await super.doQuery(q)).map((m) => ({ ...m, score: m.score + boost }));
  }
  protected override async doStats(params?: HookParams): Promise<Omit<IndexStats, 'dimension' | 'metric'>> {
    this.seen.push({ hook: 'stats', options: params?.options });
    return super.doStats();
  }
}

class LimitedBackend extends MemoryBackend {
  override readonly capabilities: BackendCapabilities = {
    ...new MemoryBackend({ indexName: 'caps' }).capabilities,
    listByPrefix: false,
    deleteByFilter: false,
  };
}

describe('the options channel', () => {
  it("passes the backend's own entry to the hooks, parsed; other backends' entries are ignored", async () => {
    const backend = new ProbeBackend({ indexName: 'probe' });
    await backend.ensureIndex({ dimension: 2, metric: 'dot' });
    await backend.upsert({ records: [{ id: 'a', vector: [1, 0] }] });
    const plain = await backend.query({ vector: [1, 0], topK: 1 });
    const boosted = await backend.query({
      vector: [1, 0],
      topK: 1,
      options: { probe: { boost: 10 }, pgvector: { efSearch: 5 } },
    });
    expect(boosted.matches[0]?.score).toBe((plain.matches[0]?.score ?? 0) + 10);
    await backend.stats({ options: { probe: { boost: 1 } } });
    expect(backend.seen).toEqual([
      { hook: 'query', options: {} },
      { hook: 'query', options: { boost: 10 } },
      { hook: 'stats', options: { boost: 1 } },
    ]);
    await expect(backend.query({ vector: [1, 0], topK: 1, options: { probe: { nope: 1 } } })).rejects.toThrow(
      'unknown nope',
    );
  });

  it('rejects a malformed options object and, by default, any key under the own entry, before any work', async () => {
    const backend = new MemoryBackend({ indexName: 'opts' });
    await backend.ensureIndex({ dimension: 2, metric: 'dot' });
    const bad = [
      [[1, 2], 'options'],
      ['text', 'options'],
      [{ memory: 3 }, 'options.memory'],
      [{ memory: { efSearch: 10 } }, 'options.memory.efSearch'],
    ] as const;
    for (const [options, field] of bad) {
      await expect(
        backend.upsert({ records: [{ id: 'x', vector: [1, 1] }], options: options as never }),
      ).rejects.toMatchObject({ code: 'VALIDATION', issues: [expect.objectContaining({ field })] });
    }
    expect((await backend.stats()).totalRecordCount).toBe(0);
    // Entries for other backends pass through untouched.
    await backend.upsert({ records: [{ id: 'x', vector: [1, 1] }], options: { qdrant: { wait: false } } });
    expect((await backend.stats()).totalRecordCount).toBe(1);
  });
});

describe('capability flags', () => {
  it('list by prefix and delete by filter are UNSUPPORTED_OPERATION where the backend lacks them', async () => {
    const backend = new LimitedBackend({ indexName: 'limited' });
    await backend.ensureIndex({ dimension: 2, metric: 'dot' });
    await backend.upsert({ records: [{ id: 'a1', vector: [1, 0], metadata: { k: 1 } }] });
    const ids: string[] = [];
    await expect(
      (async () => {
        for await (const id of backend.list({ prefix: 'a' })) ids.push(id);
      })(),
    ).rejects.toMatchObject({ code: 'UNSUPPORTED_OPERATION', capability: 'listByPrefix' });
    await expect(backend.delete({ filter: { k: 1 } })).rejects.toMatchObject({
      code: 'UNSUPPORTED_OPERATION',
      capability: 'deleteByFilter',
    });
    for await (const id of backend.list()) ids.push(id);
    expect(ids).toEqual(['a1']);
    expect((await backend.delete({ ids: ['a1'] })).deletedCount).toBe(1);
  });
});

describe('signal', () => {
  it('a signal that is not an AbortSignal is a VALIDATION error before anything is written', async () => {
    const backend = new MemoryBackend({ indexName: 'sig' });
    await backend.ensureIndex({ dimension: 2, metric: 'dot' });
    for (const signal of [{}, { aborted: false }, 'soon', 5]) {
      await expect(
        backend.upsert({ records: [{ id: 'a', vector: [1, 0] }], signal: signal as never }),
      ).rejects.toMatchObject({ code: 'VALIDATION', issues: [expect.objectContaining({ field: 'signal' })] });
    }
    expect((await backend.stats()).totalRecordCount).toBe(0);
  });

  it('a namespace named __proto__ is listed in stats like any other', async () => {
    const backend = new MemoryBackend({ indexName: 'proto' });
    await backend.ensureIndex({ dimension: 2, metric: 'dot' });
    await backend.upsert({ records: [{ id: 'a', vector: [1, 0] }], namespace: '__proto__' });
    const stats = await backend.stats();
    expect(Object.keys(stats.namespaces)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(stats.namespaces, '__proto__')?.value).toEqual({ recordCount: 1 });
  });
});
