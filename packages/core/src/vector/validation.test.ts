import { describe, expect, it } from 'vitest';
import { createRng } from '../shared/random.js';
import type { VectorRecord } from './types.js';
import { chunkRecords, estimateRecordBytes, utf8Length } from './validation.js';

/** The body a JSON client (Pinecone's) sends for a record: float32 values written as float64 text. */
function jsonBytes(record: VectorRecord): number {
  return utf8Length(JSON.stringify({ id: record.id, values: Array.from(record.vector), metadata: record.metadata }));
}

describe('request size estimate', () => {
  it('is an upper bound of the JSON body for the widest float32 values', () => {
    const widest = new Float32Array(1536).fill(-1.1754943508222875e-38);
    const record: VectorRecord = { id: 'é"\\id', vector: widest, metadata: { text: 'ünïcödé "quoted"' } };
    expect(estimateRecordBytes(record)).toBeGreaterThanOrEqual(jsonBytes(record));
  });

  it('keeps every chunk of random 1536-d records under a 2 MB JSON body', () => {
    const rng = createRng(11);
    const records: VectorRecord[] = Array.from({ length: 500 }, (_, i) => ({
      id: `r-${i}`,
      vector: Float32Array.from({ length: 1536 }, () => rng.normal() * 10 ** rng.int(-30, 30)),
    }));
    const limit = 2 * 1024 * 1024;
    const chunks = chunkRecords(records, { maxBatchRecords: 1000, maxBatchBytes: limit });
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.flat()).toHaveLength(500);
    for (const chunk of chunks) {
      const body = utf8Length(
        JSON.stringify({ vectors: chunk.map((r) => ({ id: r.id, values: Array.from(r.vector) })) }),
      );
      expect(body).toBeLessThanOrEqual(limit);
    }
  });
});
