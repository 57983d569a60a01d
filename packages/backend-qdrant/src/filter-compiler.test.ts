import { createRng, evaluateFilter, FILTER_OPERATORS, type FilterNode, type Metadata } from '@q-store/core';
import { parseFilter } from '@q-store/core/backend';
import { generateFilters, makeFilterDataset } from '@q-store/core/testing';
import { QdrantClient } from '@qdrant/js-client-rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileFilter, namespaceFilter, PAYLOAD_ID, PAYLOAD_KEYS, type QdrantCondition } from './filter-compiler.js';
import { pointIdFor } from './ids.js';
import { QdrantEmulator } from './testing/qdrant-emulator.js';

// The compiled filter, run by the emulator with QDRANT's semantics through the official client,
// must select exactly the records core's reference evaluator selects.
const emulator = new QdrantEmulator();
let client: QdrantClient;
const dataset = makeFilterDataset(11);
const records = dataset.records as { id: string; metadata?: Metadata }[];

beforeAll(async () => {
  client = new QdrantClient({ url: await emulator.start(), checkCompatibility: false });
  await client.createCollection('f', { vectors: { size: 2, distance: 'Dot' } });
  await client.upsert('f', {
    wait: true,
    points: records.map((r) => ({
      id: pointIdFor('', r.id),
      vector: [1, 0],
      payload: {
        qstore_id: r.id,
        qstore_ns: '',
        qstore_keys: Object.keys(r.metadata ?? {}),
        metadata: r.metadata ?? {},
      },
    })),
  });
});
afterAll(() => emulator.stop());

async function selected(node: FilterNode, compile: (n: FilterNode) => QdrantCondition = compileFilter) {
  const page = await client.scroll('f', {
    filter: namespaceFilter('', node, compile),
    limit: 10_000,
    with_payload: [PAYLOAD_ID],
  });
  return page.points.map((p) => String((p.payload as Record<string, unknown>)[PAYLOAD_ID])).sort();
}
const expected = (node: FilterNode) =>
  records
    .filter((r) => evaluateFilter(node, r.metadata))
    .map((r) => r.id)
    .sort();

describe('filter compiler against the emulator', () => {
  it('matches the reference evaluator on 200 generated filters and the edge cases', async () => {
    const filters = [
      ...generateFilters(createRng(7), 200, FILTER_OPERATORS, dataset).map((g) => parseFilter(g)),
      ...[
        { tags: { $ne: 'a' } },
        { tags: { $exists: true } },
        { tags: { $exists: false } },
        { code: { $in: [] } },
        { code: { $nin: [] } },
        { $or: [{ category: 'books' }, { code: { $gt: 3 } }] },
      ].map((f) => parseFilter(f)),
    ].filter((f): f is FilterNode => f !== undefined);
    let nonTrivial = 0;
    for (const node of filters) {
      const want = expected(node);
      if (want.length > 0 && want.length < records.length) nonTrivial++;
      expect(await selected(node), JSON.stringify(node)).toEqual(want);
    }
    expect(nonTrivial).toBeGreaterThan(50);
  });

  it('catches a wrong compile: $ne as match.except, $exists as not is_empty', async () => {
    const wrong = (n: FilterNode): QdrantCondition => {
      if (n.type === 'field' && n.op === '$ne' && typeof n.value === 'string')
        return { key: `metadata.${n.field}`, match: { except: [n.value] } } as never;
      if (n.type === 'field' && n.op === '$exists' && n.value)
        return { must_not: [{ is_empty: { key: `metadata.${n.field}` } } as never] };
      return compileFilter(n);
    };
    const ne = parseFilter({ category: { $ne: 'books' } }) as FilterNode;
    const exists = parseFilter({ tags: { $exists: true } }) as FilterNode;
    expect(await selected(ne, wrong)).not.toEqual(expected(ne));
    expect(await selected(exists, wrong)).not.toEqual(expected(exists));
  });

  it('rejects a point id that is neither an unsigned integer nor a UUID with Qdrant 400', async () => {
    await expect(
      client.upsert('f', { wait: true, points: [{ id: 'not-a-uuid', vector: [1, 0] }] }),
    ).rejects.toMatchObject({
      status: 400,
    });
    expect(PAYLOAD_KEYS).toBe('qstore_keys');
  });
});
