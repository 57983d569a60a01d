import { ValidationError } from '@q-store/core';
import { IssueCollector } from '@q-store/core/backend';

/**
 * Per-call settings of a Qdrant query, passed as `options: {qdrant: {...}}` (Qdrant's `SearchParams`):
 *
 * - `hnswEf` (`hnsw_ef`): candidates the HNSW search keeps, an integer 1–100,000; default Qdrant's
 *   (the collection's `ef_construct`).
 * - `exact`: brute-force search, bypassing the index (same as core's `query({exact: true})`).
 * - `rescore` (`quantization.rescore`): re-score the quantized candidates on the original vectors.
 * - `oversampling` (`quantization.oversampling`): preselect `oversampling × topK` candidates with the
 *   quantized vectors, a number from 1 to 100.
 * - `ignoreQuantization` (`quantization.ignore`): search the original vectors only.
 *
 * Unknown keys are a ValidationError naming them (a misspelt option must not be silently ignored).
 */
export type QdrantQueryOptions = {
  hnswEf?: number;
  exact?: boolean;
  rescore?: boolean;
  oversampling?: number;
  ignoreQuantization?: boolean;
};

const KNOWN = new Set(['hnswEf', 'exact', 'rescore', 'oversampling', 'ignoreQuantization']);

/** Validates `options.qdrant` of one call; every problem is reported at once. */
export function parseQdrantOptions(raw: unknown, field = 'options.qdrant'): QdrantQueryOptions {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ValidationError([{ field, message: 'must be an object' }], 'Invalid options');
  }
  const issues = new IssueCollector();
  const options = raw as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) issues.add(`${field}.${key}`, `is not a Qdrant option (known: ${[...KNOWN].join(', ')})`);
  }
  const out: QdrantQueryOptions = {};
  const { hnswEf, exact, rescore, oversampling, ignoreQuantization } = options;
  if (hnswEf !== undefined) {
    if (typeof hnswEf === 'number' && Number.isInteger(hnswEf) && hnswEf >= 1 && hnswEf <= 100_000) out.hnswEf = hnswEf;
    else issues.add(`${field}.hnswEf`, `must be an integer from 1 to 100000, got ${String(hnswEf)}`, 100_000);
  }
  for (const [key, value] of [
    ['exact', exact],
    ['rescore', rescore],
    ['ignoreQuantization', ignoreQuantization],
  ] as const) {
    if (value === undefined) continue;
    if (typeof value === 'boolean') out[key] = value;
    else issues.add(`${field}.${key}`, `must be true or false, got ${String(value)}`);
  }
  if (oversampling !== undefined) {
    if (typeof oversampling === 'number' && Number.isFinite(oversampling) && oversampling >= 1 && oversampling <= 100) {
      out.oversampling = oversampling;
    } else issues.add(`${field}.oversampling`, `must be a number from 1 to 100, got ${String(oversampling)}`, 100);
  }
  issues.throwIfAny('Invalid options');
  return out;
}

/** Qdrant's `params` (SearchParams) for a query, or undefined when nothing is set. */
export function searchParams(options: QdrantQueryOptions, exact: boolean): Record<string, unknown> | undefined {
  const params: Record<string, unknown> = {};
  if (options.hnswEf !== undefined) params.hnsw_ef = options.hnswEf;
  if (exact || options.exact) params.exact = true;
  const quantization: Record<string, unknown> = {};
  if (options.rescore !== undefined) quantization.rescore = options.rescore;
  if (options.oversampling !== undefined) quantization.oversampling = options.oversampling;
  if (options.ignoreQuantization !== undefined) quantization.ignore = options.ignoreQuantization;
  if (Object.keys(quantization).length > 0) params.quantization = quantization;
  return Object.keys(params).length > 0 ? params : undefined;
}
