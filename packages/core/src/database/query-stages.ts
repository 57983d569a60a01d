import type { QuantumBackend } from '../quantum/quantum-backend.js';
import type { Filter, FilterOperator } from '../vector/filter-types.js';
import type { BackendOptions, Metadata, Metric, QueryMatch } from '../vector/types.js';
import type { VectorBackend } from '../vector/vector-backend.js';
import { bernoulliCircuit, coherenceWeight, contextStateCircuit, relevance } from './features.js';
import type { QuantumFeature, QuantumRunner } from './quantum-runner.js';
import { KEY_CONTEXTS, KEY_EXPIRES, type RecordQuantumState, splitMetadata } from './reserved.js';
import type { DiversityProblem, DiversitySolution } from './tunneling.js';
import {
  checkPoolLimit,
  diversityObjective,
  greedyMmr,
  MAX_QAOA_POOL,
  similarityMatrix,
  simulatedAnnealing,
  simulatedAnnealingAsync,
  solveQaoa,
} from './tunneling.js';

/**
 * The stages of a re-ranked `QuantumDatabase.query`, in order:
 *
 * 1. {@link fetchCandidates}: an over-fetched pool from the backend, expired records removed;
 * 2. {@link featureWeights}: per candidate, p_c = |α_c|² and w = exp(−Δt/τ), exact or estimated;
 * 3. {@link rank}: score = r(similarity)·p_c·w, sorted, records outside the context dropped;
 * 4. {@link diversify}: the k of the ranked pool maximising Σ s_i x_i − λ Σ_{i<j} W_ij x_i x_j.
 */

/** Whether estimates ran on the quantum backend, and whether any fell back. */
export interface QuantumInfo {
  requested: boolean;
  used: boolean;
  fallback: boolean;
}

/** What the quantum estimators of one query share. */
export interface QuantumStage {
  runner: QuantumRunner;
  /** Whether this query uses the quantum backend. */
  enabled: boolean;
  shots: number;
  nextSeed: () => number | undefined;
  signal?: AbortSignal | undefined;
  info: QuantumInfo;
}

/** The value of `quantum` when the stage is enabled (falling back to `exact`), else `exact`. */
async function estimate<T>(
  stage: QuantumStage,
  feature: QuantumFeature,
  quantum: (backend: QuantumBackend, signal: AbortSignal) => Promise<T>,
  exact: () => T,
): Promise<T> {
  if (!stage.enabled) return exact();
  const { value, quantum: used } = await stage.runner.run(feature, quantum, exact, stage.signal);
  stage.info.used ||= used;
  stage.info.fallback ||= !used;
  return value;
}

// ---------------------------------------------------------------- 1. candidates

export interface CandidateParams {
  vector: Float32Array | readonly number[];
  filter?: Filter<Metadata> | undefined;
  namespace: string;
  /** n, the pool fetched: topK·candidateMultiplier, or the tunneling pool. */
  poolSize: number;
  context?: string | undefined;
  contextFallbackWeight: number;
  /** Whether any record may decay (then expired records are filtered out). */
  decoherence: boolean;
  now: number;
  includeVectors: boolean;
  /** Tunneling needs every candidate's vector and, where the backend has it, exact search. */
  tunneling: boolean;
  options?: BackendOptions | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * The backend filter of the candidate query: the user's filter ∧ (expires > now ∨ no expiry) ∧
 * (context ∈ contexts, when records without it weigh 0), each part pushed down only when the
 * backend supports its operators; what cannot be pushed down is applied to the candidates.
 */
export function candidateFilter(
  params: Pick<CandidateParams, 'filter' | 'context' | 'contextFallbackWeight' | 'decoherence' | 'now'>,
  filterOperators: readonly FilterOperator[],
): Filter<Metadata> | undefined {
  const operators = new Set(filterOperators);
  const clauses: Filter<Metadata>[] = [];
  if (params.filter) clauses.push(params.filter);
  // Records written straight to the backend have no expiry key: they never expire.
  if (params.decoherence && ['$gt', '$or', '$exists'].every((op) => operators.has(op as FilterOperator))) {
    if (operators.has('$and') || clauses.length === 0) {
      clauses.push({ $or: [{ [KEY_EXPIRES]: { $gt: params.now } }, { [KEY_EXPIRES]: { $exists: false } }] });
    }
  }
  if (
    params.context !== undefined &&
    params.contextFallbackWeight === 0 &&
    operators.has('$in') &&
    (operators.has('$and') || clauses.length === 0)
  ) {
    clauses.push({ [KEY_CONTEXTS]: { $in: [params.context] } });
  }
  return clauses.length === 0 ? undefined : clauses.length === 1 ? clauses[0] : { $and: clauses };
}

/** Whether stored metadata says the record has expired: `__qs_expires ≤ now`. */
export function isExpiredAt(metadata: Metadata | undefined, now: number): boolean {
  const expires = metadata?.[KEY_EXPIRES];
  return typeof expires === 'number' && expires <= now;
}

/**
 * Stage 1, candidates: the top n = `poolSize` matches of the backend under {@link candidateFilter},
 * with metadata, never from a cache (the ranking depends on the clock and the state store), minus
 * any record with `__qs_expires ≤ now` the filter could not exclude.
 */
export async function fetchCandidates(backend: VectorBackend, params: CandidateParams): Promise<QueryMatch[]> {
  const caps = backend.capabilities;
  const filter = candidateFilter(params, caps.filterOperators);
  const { matches } = await backend.query({
    vector: params.vector,
    topK: params.poolSize,
    namespace: params.namespace,
    includeMetadata: true,
    includeVectors: params.includeVectors || params.tunneling,
    ...(filter ? { filter } : {}),
    ...(params.tunneling && caps.exactSearch ? { exact: true } : {}),
    options: { ...params.options, cache: { bypass: true } },
    ...(params.signal ? { signal: params.signal } : {}),
  });
  return matches.filter((c) => !isExpiredAt(c.metadata, params.now));
}

// ---------------------------------------------------------------- 2. weights

export interface FeatureWeights {
  states: Array<{ state: RecordQuantumState }>;
  /** p_c = |α_c|² per candidate (the fallback weight for records without c); absent without a context. */
  contextProbabilities?: number[];
  /** w = exp(−Δt/τ) per candidate (1 without τ); absent when no candidate decays. */
  coherence?: number[];
}

/**
 * Stage 2, weights. Per candidate i with stored amplitudes α and coherence time τ:
 *
 * - p_i = |α_{i,c}|² for the queried context c, or `contextFallbackWeight` when i has no α_c;
 *   on the quantum path, the frequency of basis state c measuring Σ_c α_c|c⟩ over `shots`;
 * - w_i = exp(−max(0, now − t0_i)/τ_i), 1 without τ; on the quantum path, P(0) of RY(2·acos√w)|0⟩.
 */
export async function featureWeights(
  candidates: readonly QueryMatch[],
  params: { context?: string | undefined; contextFallbackWeight: number; decoherence: boolean; now: number },
  stage: QuantumStage,
): Promise<FeatureWeights> {
  const states = candidates.map((c) => splitMetadata(c.metadata));
  const out: FeatureWeights = { states };
  const { context, now } = params;
  if (context !== undefined) {
    const exact = () => states.map(({ state }) => (state.amplitudes?.[context] ?? 0) ** 2);
    const estimated = await estimate(
      stage,
      'superposition',
      (backend, signal) => estimateContextProbabilities(backend, states, context, stage, signal),
      exact,
    );
    out.contextProbabilities = estimated.map((p, i) =>
      states[i]?.state.amplitudes?.[context] === undefined ? params.contextFallbackWeight : p,
    );
  }
  if (params.decoherence && states.some(({ state }) => state.coherenceTimeMs !== undefined)) {
    const exact = () => states.map(({ state }) => coherenceWeight(now, state.insertedAtMs, state.coherenceTimeMs));
    out.coherence = await estimate(
      stage,
      'decoherence',
      (backend, signal) => estimateBernoulli(backend, exact(), stage, signal),
      exact,
    );
  }
  return out;
}

async function estimateContextProbabilities(
  backend: QuantumBackend,
  states: ReadonlyArray<{ state: RecordQuantumState }>,
  context: string,
  stage: QuantumStage,
  signal: AbortSignal,
): Promise<number[]> {
  // One circuit per distinct amplitude set; P(context) is the frequency of its basis state.
  const circuits = new Map<string, { index: number; names: string[]; circuit: number }>();
  const list: ReturnType<typeof contextStateCircuit>[] = [];
  const plan = states.map(({ state }) => {
    if (!state.amplitudes || state.amplitudes[context] === undefined) return undefined;
    const names = Object.keys(state.amplitudes);
    const key = JSON.stringify(state.amplitudes);
    let entry = circuits.get(key);
    if (!entry) {
      entry = { index: names.indexOf(context), names, circuit: list.length };
      list.push(contextStateCircuit(names.map((name) => state.amplitudes?.[name] as number)));
      circuits.set(key, entry);
    }
    return entry;
  });
  if (list.length === 0) return states.map(() => 0);
  const results = await backend.sample({ circuits: list, shots: stage.shots, seed: stage.nextSeed(), signal });
  return plan.map((entry) => {
    if (!entry) return 0;
    const result = results[entry.circuit];
    if (!result) throw new Error('missing sample result');
    const width = list[entry.circuit]?.numQubits ?? 1;
    const key = entry.index.toString(2).padStart(width, '0');
    return (result.counts[key] ?? 0) / result.shots;
  });
}

async function estimateBernoulli(
  backend: QuantumBackend,
  weights: number[],
  stage: QuantumStage,
  signal: AbortSignal,
): Promise<number[]> {
  const results = await backend.sample({
    circuits: weights.map((w) => bernoulliCircuit(w)),
    shots: stage.shots,
    seed: stage.nextSeed(),
    signal,
  });
  return results.map((r) => (r.counts['0'] ?? 0) / r.shots);
}

// ---------------------------------------------------------------- 3. rank

export interface Ranking {
  /** s_i = r(similarity_i)·p_i·w_i per candidate (r is {@link relevance}). */
  scores: number[];
  /** Candidate positions kept, best score first. */
  ranked: number[];
}

/**
 * Stage 3, rank: s_i = r(similarity_i)·p_i·w_i (a missing weight is 1), sorted descending. With a
 * context, membership follows the exact amplitudes (a shot estimate of 0 does not drop a record):
 * a record is kept when α_c > 0, or when it has no α_c and the fallback weight is > 0.
 */
export function rank(
  candidates: readonly QueryMatch[],
  weights: FeatureWeights,
  params: { metric: Metric; context?: string | undefined; contextFallbackWeight: number },
): Ranking {
  const { contextProbabilities, coherence, states } = weights;
  const scores = candidates.map(
    (c, i) => relevance(params.metric, c.score) * (contextProbabilities?.[i] ?? 1) * (coherence?.[i] ?? 1),
  );
  const keep = (i: number) => {
    if (params.context === undefined) return true;
    const amplitude = states[i]?.state.amplitudes?.[params.context];
    return amplitude === undefined ? params.contextFallbackWeight > 0 : amplitude > 0;
  };
  const ranked = candidates
    .map((_, i) => i)
    .filter(keep)
    .sort((a, b) => (scores[b] as number) - (scores[a] as number));
  return { scores, ranked };
}

// ---------------------------------------------------------------- 4. diversify

export interface Diversified {
  /** Candidate positions chosen, best marginal contribution first. */
  selected: number[];
  solution: DiversitySolution & { circuits?: number };
  problem: DiversityProblem;
}

/**
 * Stage 4, diversify: over the ranked pool P (n ≤ MAX_TUNNELING_POOL), with s_i the ranking
 * score and W_ij = cos(v_i, v_j), the k-subset x maximising
 *
 *     f(x) = Σ_i s_i x_i − λ Σ_{i<j} W_ij x_i x_j,  Σ x_i = k,
 *
 * by QAOA on the quantum backend when the pool fits its qubits (n ≤ 16 and the gates h, rzz, rz, rx),
 * else by simulated annealing (which yields to the event loop between slices).
 */
export async function diversify(
  candidates: readonly QueryMatch[],
  ranking: Ranking,
  params: { topK: number; lambda: number; seed: number },
  stage: QuantumStage,
): Promise<Diversified> {
  const pool = ranking.ranked;
  const n = pool.length;
  checkPoolLimit(n);
  const similarity = await similarityMatrix(
    pool.map((i) => (candidates[i] as QueryMatch).vector as Float32Array),
    stage.signal,
  );
  const problem: DiversityProblem = {
    relevance: Float64Array.from(pool, (i) => ranking.scores[i] as number),
    similarity,
    lambda: params.lambda,
    k: params.topK,
  };
  const quantumCaps = stage.runner.backend?.capabilities;
  const qaoaFits =
    quantumCaps !== undefined &&
    n <= Math.min(MAX_QAOA_POOL, quantumCaps.maxQubits) &&
    ['h', 'rzz', 'rz', 'rx'].every((gate) => quantumCaps.gates.includes(gate));
  let solution: DiversitySolution & { circuits?: number };
  if (stage.enabled && qaoaFits) {
    // QAOA pools are ≤ 16: the classical fallback is cheap enough to run synchronously.
    solution = await estimate(
      stage,
      'tunneling',
      (backend, signal) => solveQaoa(problem, backend, { shots: stage.shots, seed: stage.nextSeed(), signal }),
      () => simulatedAnnealing(problem, { seed: params.seed }),
    );
  } else {
    solution = await simulatedAnnealingAsync(problem, {
      seed: params.seed,
      ...(stage.signal ? { signal: stage.signal } : {}),
    });
  }
  return { selected: solution.selected.map((position) => pool[position] as number), solution, problem };
}

/** The objectives a tunneling report compares: greedy MMR (baseline) and the plain top k. */
export function baselineObjectives(problem: DiversityProblem): { baseline: number; plain: number } {
  const plain = Array.from({ length: problem.k }, (_, i) => i);
  return { baseline: greedyMmr(problem).objective, plain: diversityObjective(problem, plain) };
}
