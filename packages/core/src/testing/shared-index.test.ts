import { describe, expect, it } from 'vitest';
import { MemoryBackend } from '../vector/memory-backend.js';
import type { EnsureIndexParams, IndexDescription, UpsertParams, UpsertResult } from '../vector/types.js';
import { createBackendHandle, ForwardingVectorBackend } from './forwarding-backend.js';
import { describeVectorBackendConformance } from './vector-conformance.js';
import { EventualMemoryBackend } from './vector-doubles.js';

/** One store standing in for a managed service: counts the indexes created and the namespaces written. */
class CountingStore extends ForwardingVectorBackend {
  indexesCreated = 0;
  readonly namespaces = new Set<string>();

  override async ensureIndex(params: EnsureIndexParams): Promise<IndexDescription> {
    const existed = (await this.inner.describeIndex()) !== null;
    const description = await this.inner.ensureIndex(params);
    if (!existed) this.indexesCreated++;
    return description;
  }

  override async upsert(params: UpsertParams): Promise<UpsertResult> {
    const result = await this.inner.upsert(params);
    this.namespaces.add(params.namespace ?? '');
    return result;
  }
}

/** Every group's client is a handle over one store per index name, as clients of one service. */
function service(): {
  stores: Map<string, CountingStore>;
  create: (indexName: string) => ReturnType<typeof createBackendHandle>;
} {
  const stores = new Map<string, CountingStore>();
  return {
    stores,
    create: (indexName) => {
      let store = stores.get(indexName);
      if (!store) {
        store = new CountingStore(new MemoryBackend({ indexName }));
        stores.set(indexName, store);
      }
      return createBackendHandle(store);
    },
  };
}

{
  const one = service();
  describeVectorBackendConformance({ name: 'MemoryBackend', create: one.create, sharedIndex: true });
  describe('shared-index mode on MemoryBackend', () => {
    it('ran every group on one index, in a namespace of its own, and dropped the index after', async () => {
      expect(one.stores.size).toBe(1);
      const [store] = [...one.stores.values()] as [CountingStore];
      expect(store.indexesCreated).toBe(1);
      // crud, batch, filter, rank-cosine, bad, ns, delete, list, stats, concurrent, abort, close
      const groups = new Set([...store.namespaces].map((ns) => ns.split('.')[0]));
      expect(groups.size).toBe(12);
      expect(await store.describeIndex()).toBeNull();
    });
  });
}

{
  const given = service();
  describeVectorBackendConformance({
    name: 'MemoryBackend on a given index, with fresh indexes allowed',
    create: given.create,
    sharedIndex: { indexName: 'team-index', dimension: 40, metric: 'dot', freshIndexes: true },
  });
  describe('shared-index mode on a given index with freshIndexes', () => {
    it('ran the shared groups on the given index, left it in place empty, and gave the others their own', async () => {
      const team = given.stores.get('team-index') as CountingStore;
      expect(team.indexesCreated).toBe(1);
      expect(await team.describeIndex()).toEqual({ name: 'team-index', dimension: 40, metric: 'dot' });
      expect((await team.stats()).totalRecordCount).toBe(0);
      // The lifecycle group (created twice: before and after dropIndex), ranking under cosine and
      // under euclidean each ran on an index of their own.
      const others = [...given.stores.values()].filter((s) => s !== team);
      expect(others.map((s) => s.indexName.replace(/-[a-z0-9]{8}$/, '')).sort()).toEqual([
        'conf-index',
        'conf-rank-cosine',
        'conf-rank-euclidean',
      ]);
      expect(others.reduce((n, s) => n + s.indexesCreated, 0)).toBe(4);
    });
  });
}

{
  // Eventually consistent and shared, as a managed serverless index: settle and shared-index mode together.
  let store: EventualMemoryBackend | undefined;
  describeVectorBackendConformance({
    name: 'EventualMemoryBackend with settle',
    create: (indexName) => {
      store ??= new EventualMemoryBackend({ indexName, visibilityDelayMs: 2 });
      return createBackendHandle(store);
    },
    settle: () => (store as EventualMemoryBackend).settled(),
    sharedIndex: true,
  });
}
