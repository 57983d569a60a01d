import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeVectorBackendConformance } from '../testing/vector-conformance.js';
import { MemoryBackend } from './memory-backend.js';
import type { BackendCapabilities } from './types.js';

const failNextWrite = vi.hoisted(() => ({ on: false }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...fs,
    writeFile: async (file: string, data: string) => {
      if (!failNextWrite.on) return fs.writeFile(file, data);
      failNextWrite.on = false;
      await fs.writeFile(file, data.slice(0, data.length >> 1));
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    },
  };
});

/** Index names the default-mode run asked for: one fresh index per group. */
const indexNames = new Set<string>();
describeVectorBackendConformance({
  name: 'MemoryBackend',
  create: (indexName) => {
    indexNames.add(indexName);
    return new MemoryBackend({ indexName });
  },
});
describe('the default mode of the kit', () => {
  it('opens a fresh index per group: 15 index names (the shared-index mode needs one)', () => {
    expect(indexNames.size).toBe(15);
  });
});

/**
 * The same store declaring fewer capabilities, as a narrower backend would: the kit must then
 * expect UnsupportedFilterError for the operators left out, reject namespaces, skip the cosine-only
 * and exact-search cases, expect UNSUPPORTED_OPERATION from the template for list by prefix and
 * delete by filter, and chunk by the smaller limits. Exercises the kit's capability paths.
 */
class NarrowMemoryBackend extends MemoryBackend {
  override readonly capabilities: BackendCapabilities = {
    ...new MemoryBackend({ indexName: 'probe' }).capabilities,
    metrics: ['euclidean', 'dot'],
    namespaces: false,
    filterOperators: ['$eq', '$in', '$gte', '$lt', '$and', '$or'],
    maxBatchRecords: 250,
    maxBatchBytes: 256 * 1024,
    maxTopK: 1000,
    exactSearch: false,
    listByPrefix: false,
    deleteByFilter: false,
  };
}

describeVectorBackendConformance({
  name: 'MemoryBackend with narrow capabilities',
  create: (indexName) => new NarrowMemoryBackend({ indexName }),
});

describe('MemoryBackend snapshots', () => {
  const dirs: string[] = [];
  async function tempFile(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'q-store-memory-'));
    dirs.push(dir);
    return join(dir, 'nested', 'index.json');
  }
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  /** A snapshot-backed backend on `path` whose 2-d index holds `ids` (vectors [i + 1, 1]). */
  async function seeded(path: string, ids: string[], metric: 'dot' | 'cosine' = 'dot'): Promise<MemoryBackend> {
    const backend = new MemoryBackend({ indexName: 'snap', snapshotPath: path });
    await backend.ensureIndex({ dimension: 2, metric });
    await backend.upsert({ records: ids.map((id, i) => ({ id, vector: [i + 1, 1] })) });
    return backend;
  }

  it('survives close and reopen with exact vectors, metadata and namespaces', async () => {
    const path = await tempFile();
    const first = new MemoryBackend({ indexName: 'snap', snapshotPath: path });
    expect(first.capabilities.persistence).toBe('file');
    await first.ensureIndex({ dimension: 3, metric: 'dot' });
    const v = new Float32Array([0.1, -2.5, 1e-7]);
    await first.upsert({ records: [{ id: 'a', vector: v, metadata: { tags: ['x', 'y'], n: 1.25 } }] });
    await first.upsert({ records: [{ id: 'a', vector: [1, 2, 3] }], namespace: 'other' });
    await first.close();

    const second = new MemoryBackend({ indexName: 'snap', snapshotPath: path });
    expect(await second.describeIndex()).toEqual({ name: 'snap', dimension: 3, metric: 'dot' });
    const { records } = await second.fetch({ ids: ['a'] });
    expect(records.get('a')?.vector).toEqual(v);
    expect(records.get('a')?.metadata).toEqual({ tags: ['x', 'y'], n: 1.25 });
    const other = await second.fetch({ ids: ['a'], namespace: 'other' });
    expect([...(other.records.get('a')?.vector ?? [])]).toEqual([1, 2, 3]);
    expect((await second.stats()).totalRecordCount).toBe(2);
    await second.close();
  });

  it('writes atomically: a save that dies mid-write leaves the previous snapshot loadable', async () => {
    const path = await tempFile();
    const backend = await seeded(path, ['keep'], 'cosine');
    await backend.save();
    const before = await readFile(path, 'utf8');
    await backend.upsert({ records: [{ id: 'new', vector: [0, 1] }] });
    failNextWrite.on = true; // the next writeFile writes half its bytes, then throws
    await expect(backend.save()).rejects.toMatchObject({ code: 'STORAGE' });
    expect(await readFile(path, 'utf8')).toBe(before);
    const reopened = new MemoryBackend({ indexName: 'snap', snapshotPath: path });
    const { records } = await reopened.fetch({ ids: ['keep', 'new'] });
    expect([...records.keys()]).toEqual(['keep']);
  });

  it('loads the snapshot once for concurrent first calls', async () => {
    const path = await tempFile();
    await (await seeded(path, ['a'])).close();
    const second = new MemoryBackend({ indexName: 'snap', snapshotPath: path });
    const [described, stats] = await Promise.all([second.describeIndex(), second.stats()]);
    expect(described?.dimension).toBe(2);
    expect(stats.totalRecordCount).toBe(1);
  });

  it('persists dropIndex: the dropped index does not come back on reopen', async () => {
    const path = await tempFile();
    const first = await seeded(path, ['a']);
    await first.save();
    await first.dropIndex();
    await first.close();
    const reopened = new MemoryBackend({ indexName: 'snap', snapshotPath: path });
    expect(await reopened.describeIndex()).toBeNull();
  });

  it('rejects a file that is not a snapshot with a storage error', async () => {
    const path = await tempFile();
    const backend = new MemoryBackend({ indexName: 'snap', snapshotPath: path });
    await backend.ensureIndex({ dimension: 2, metric: 'cosine' });
    await backend.save();
    await writeFile(path, '{"hello": "world"}');
    const reopened = new MemoryBackend({ indexName: 'snap', snapshotPath: path });
    await expect(reopened.describeIndex()).rejects.toMatchObject({ code: 'STORAGE' });
  });

  it('hands out copies of the index description', async () => {
    const backend = new MemoryBackend({ indexName: 'desc' });
    const described = await backend.ensureIndex({ dimension: 2, metric: 'dot' });
    described.dimension = 3;
    await expect(backend.upsert({ records: [{ id: 'x', vector: [1, 2, 3] }] })).rejects.toMatchObject({
      code: 'DIMENSION_MISMATCH',
    });
    expect((await backend.describeIndex())?.dimension).toBe(2);
  });

  it('close waits for calls in flight, and calls that start after it fail with CLOSED', async () => {
    const backend = new MemoryBackend({ indexName: 'closing' });
    await backend.ensureIndex({ dimension: 2, metric: 'dot' });
    const write = backend.upsert({ records: [{ id: 'a', vector: [1, 2] }] });
    const closing = backend.close();
    await expect(write).resolves.toMatchObject({ upsertedCount: 1 });
    await closing;
    await expect(backend.query({ vector: [1, 2], topK: 1 })).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('keeps stored data independent of the caller’s objects', async () => {
    const backend = new MemoryBackend({ indexName: 'alias' });
    await backend.ensureIndex({ dimension: 2, metric: 'euclidean' });
    const vector = new Float32Array([1, 2]);
    const metadata = { tags: ['a'] };
    await backend.upsert({ records: [{ id: 'r', vector, metadata }] });
    vector[0] = 99;
    metadata.tags.push('mutated');
    const fetched = (await backend.fetch({ ids: ['r'] })).records.get('r');
    expect([...(fetched?.vector ?? [])]).toEqual([1, 2]);
    expect(fetched?.metadata).toEqual({ tags: ['a'] });
    fetched?.vector.fill(7);
    const again = (await backend.fetch({ ids: ['r'] })).records.get('r');
    expect([...(again?.vector ?? [])]).toEqual([1, 2]);
  });
});
