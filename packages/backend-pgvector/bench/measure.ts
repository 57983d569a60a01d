import type { Filter, Metadata } from '@q-store/core';
import type { PgvectorBackend } from '../src/pgvector-backend.js';

/** Shared by the benchmarks: timed top-k queries and recall against an exact answer. */

export interface QueryTiming {
  p50: number;
  p99: number;
  /** The ids each query returned, in order. */
  ids: string[][];
}

export interface TimedQueryOptions {
  topK: number;
  exact?: boolean;
  efSearch?: number;
  filter?: Filter<Metadata>;
}

export async function timeQueries(
  backend: PgvectorBackend,
  queries: Float32Array[],
  { topK, exact, efSearch, filter }: TimedQueryOptions,
): Promise<QueryTiming> {
  const latencies: number[] = [];
  const ids: string[][] = [];
  for (const vector of queries) {
    const start = performance.now();
    const result = await backend.query({
      vector,
      topK,
      includeMetadata: false,
      ...(exact !== undefined && { exact }),
      ...(filter !== undefined && { filter }),
      ...(efSearch !== undefined && { options: { pgvector: { efSearch } } }),
    });
    latencies.push(performance.now() - start);
    ids.push(result.matches.map((m) => m.id));
  }
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] as number;
  return { p50: at(0.5), p99: at(0.99), ids };
}

/** Share of the exact answer's ids that the other answer holds, over all queries. */
export function recall(found: string[][], truth: string[][]): number {
  let hits = 0;
  let total = 0;
  for (const [i, exact] of truth.entries()) {
    const set = new Set(found[i]);
    hits += exact.filter((id) => set.has(id)).length;
    total += exact.length;
  }
  return total === 0 ? 1 : hits / total;
}

export const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
