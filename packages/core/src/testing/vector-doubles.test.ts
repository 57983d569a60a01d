import { describe, expect, it } from 'vitest';
import { runFixture } from '../fixtures/run-fixture.js';
import { describeVectorBackendConformance } from './vector-conformance.js';
import { EventualMemoryBackend, LimitedMemoryBackend } from './vector-doubles.js';

// The doubles pass the kit when it is told what they are. The same doubles fail it when it is not
// (../fixtures/broken-vector-backends.fixture.ts, run in a child vitest at the end of this file).

describeVectorBackendConformance({
  name: 'EventualMemoryBackend with settle',
  create: (indexName) => new EventualMemoryBackend({ indexName, visibilityDelayMs: 2 }),
  settle: (backend) => (backend as EventualMemoryBackend).settled(),
});

describeVectorBackendConformance({
  name: 'LimitedMemoryBackend declaring listByPrefix and deleteByFilter false',
  create: (indexName) => new LimitedMemoryBackend({ indexName }),
});

describe('EventualMemoryBackend', () => {
  it('acknowledges a write at once and shows it to reads only after the delay, in order', async () => {
    const backend = new EventualMemoryBackend({ indexName: 'lag', visibilityDelayMs: 30 });
    await backend.ensureIndex({ dimension: 2, metric: 'dot' });
    expect(await backend.describeIndex()).toBeNull();
    await backend.settled();
    expect(await backend.describeIndex()).toEqual({ name: 'lag', dimension: 2, metric: 'dot' });
    expect(await backend.upsert({ records: [{ id: 'a', vector: [1, 2] }] })).toMatchObject({ upsertedCount: 1 });
    await backend.update({ id: 'a', metadata: { v: 2 } });
    expect(backend.pendingWrites).toBe(2);
    expect((await backend.fetch({ ids: ['a'] })).records.size).toBe(0);
    await backend.settled();
    expect(backend.pendingWrites).toBe(0);
    expect((await backend.fetch({ ids: ['a'] })).records.get('a')?.metadata).toEqual({ v: 2 });
    await backend.close();
  });

  it('validates a write when it is acknowledged: a rejected write is never replayed', async () => {
    const backend = new EventualMemoryBackend({ indexName: 'lag', visibilityDelayMs: 0 });
    await backend.ensureIndex({ dimension: 2, metric: 'dot' });
    await expect(backend.upsert({ records: [{ id: 'a', vector: [1, 2, 3] }] })).rejects.toMatchObject({
      code: 'DIMENSION_MISMATCH',
    });
    expect(backend.pendingWrites).toBe(1); // the ensureIndex only
    await backend.settled();
    expect((await backend.stats()).totalRecordCount).toBe(0);
    await backend.close();
  });
});

describe('LimitedMemoryBackend', () => {
  it('rejects list by prefix and delete by filter with UNSUPPORTED_OPERATION naming the capability', async () => {
    const backend = new LimitedMemoryBackend({ indexName: 'limited' });
    await backend.ensureIndex({ dimension: 2, metric: 'dot' });
    await backend.upsert({ records: [{ id: 'a-1', vector: [1, 2], metadata: { k: 'x' } }] });
    const listing = async () => {
      for await (const _ of backend.list({ prefix: 'a-' })) {
        // fails on the first step
      }
    };
    await expect(listing()).rejects.toMatchObject({ code: 'UNSUPPORTED_OPERATION', capability: 'listByPrefix' });
    await expect(backend.delete({ filter: { k: 'x' } })).rejects.toMatchObject({
      code: 'UNSUPPORTED_OPERATION',
      operation: 'delete.filter',
      message: expect.stringContaining('capabilities.deleteByFilter is false'),
    });
    await expect(backend.delete({ filter: { k: { $regex: 'x' } } as never })).rejects.toMatchObject({
      code: 'INVALID_FILTER',
    });
    expect((await backend.stats()).totalRecordCount).toBe(1);
    await backend.close();
  });
});

describe('the vector conformance kit catches doubles it is told the wrong thing about', () => {
  it('fails each broken double where its defect shows, and only there', async () => {
    const suites = await runFixture('broken-vector-backends.fixture');
    const failed = (name: string): string[] => suites.get(name)?.failed ?? [];

    // Eventual without settle: every test fails, saying a settle hook is needed.
    const noSettle = suites.get('eventual without settle');
    expect(noSettle?.passed).toBe(0);
    expect(noSettle?.failed.length).toBeGreaterThan(400);
    const messages = noSettle?.messages ?? [];
    expect(messages).toHaveLength(noSettle?.failed.length ?? -1);
    const named = messages.filter((m) =>
      m.includes("capabilities.consistency 'eventual' but no settle hook was given"),
    );
    expect(named).toHaveLength(messages.length);

    // Eventual, claiming immediate: the kit reads back before the writes are visible.
    expect(failed('eventual claiming immediate')).toEqual(
      expect.arrayContaining([
        'ensureIndex creates the index',
        'upsert then fetch returns the exact float32 values and metadata',
        'upserts raise the counts',
      ]),
    );
    expect(failed('eventual claiming immediate').length).toBeGreaterThan(400);

    // Limited, claiming the capabilities: exactly the prefix and delete-by-filter cases fail.
    const claiming = failed('limited claiming listByPrefix and deleteByFilter');
    const flagged = claiming.filter((t) => /capabilities\.(listByPrefix|deleteByFilter)/.test(t));
    expect(flagged).toHaveLength(12);
    expect(claiming.filter((t) => !flagged.includes(t))).toEqual([
      'deleted ids are no longer listed and new ones are',
      'an empty namespace lists nothing',
      'deletes lower the counts',
    ]);

    // Declaring the flags but answering anyway, ignoring the prefix or the filter, fails too.
    expect(failed('limited, ignoring the prefix and the filter instead of refusing')).toEqual([
      'without capabilities.deleteByFilter, delete by filter fails with UNSUPPORTED_OPERATION and deletes nothing',
      'without capabilities.listByPrefix, list with a prefix fails with UNSUPPORTED_OPERATION (never lists unfiltered)',
    ]);
    // The skips never hide a query that ignores its filter.
    const ignoring = failed('limited, query ignoring the filter');
    expect(ignoring).toEqual(expect.arrayContaining(['implicit $eq on a string', '$in on strings']));
    expect(ignoring.filter((t) => t.startsWith('generated filter tree #')).length).toBeGreaterThan(150);
  }, 120_000);
});
