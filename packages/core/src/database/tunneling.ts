import type { CircuitJson, QuantumBackend } from '../quantum/quantum-backend.js';
import { throwIfAborted, ValidationError } from '../shared/errors.js';
import { createRng } from '../shared/random.js';
import { score } from '../vector/metrics.js';

/**
 * Tunneling: choosing k results that are relevant and not redundant, as a QUBO.
 *
 *     maximise f(x) = Σ_i s_i x_i − λ Σ_{i<j} W_ij x_i x_j   subject to Σ_i x_i = k, x ∈ {0,1}^n
 *
 * s_i is candidate i's relevance, W_ij the cosine similarity of candidates i and j. Three solvers:
 * greedy MMR (the baseline), simulated annealing (the classical path) and QAOA on a quantum backend
 * (pools of at most {@link MAX_QAOA_POOL}). Each reports the objective f it reached.
 */
export interface DiversityProblem {
  /** s_i, length n. */
  relevance: Float64Array;
  /** W_ij, n×n row-major, symmetric; the diagonal is ignored. */
  similarity: Float64Array;
  /** λ ≥ 0, the weight of redundancy. */
  lambda: number;
  /** Results to choose, 1 ≤ k ≤ n. */
  k: number;
}

export interface DiversitySolution {
  /** Chosen candidate positions, best marginal contribution first. */
  selected: number[];
  /** f(x) of the selection. */
  objective: number;
  solver: 'greedy-mmr' | 'simulated-annealing' | 'qaoa' | 'exhaustive';
}

export const MAX_QAOA_POOL = 16;

export function checkProblem(problem: DiversityProblem): number {
  const n = problem.relevance.length;
  if (problem.similarity.length !== n * n) {
    throw new ValidationError([{ field: 'similarity', message: `must hold n×n = ${n * n} values` }]);
  }
  if (!Number.isInteger(problem.k) || problem.k < 1 || problem.k > n) {
    throw new ValidationError([{ field: 'k', message: `must be an integer from 1 to ${n}, got ${problem.k}` }]);
  }
  if (!(problem.lambda >= 0) || !Number.isFinite(problem.lambda)) {
    throw new ValidationError([{ field: 'lambda', message: `must be a finite number ≥ 0, got ${problem.lambda}` }]);
  }
  return n;
}

/** f(x) for a selection given as positions. */
export function diversityObjective(problem: DiversityProblem, selected: readonly number[]): number {
  const n = problem.relevance.length;
  let value = 0;
  for (let a = 0; a < selected.length; a++) {
    const i = selected[a] as number;
    value += problem.relevance[i] as number;
    for (let b = a + 1; b < selected.length; b++) {
      value -= problem.lambda * (problem.similarity[i * n + (selected[b] as number)] as number);
    }
  }
  return value;
}

/**
 * Greedy maximal marginal relevance: k times, add the candidate with the largest marginal gain
 * s_j − λ Σ_{l∈S} W_jl (the sum form of MMR, which is exactly the greedy step on f).
 */
export function greedyMmr(problem: DiversityProblem): DiversitySolution {
  const n = checkProblem(problem);
  const penalty = new Float64Array(n);
  const taken = new Uint8Array(n);
  const selected: number[] = [];
  for (let step = 0; step < problem.k; step++) {
    let best = -1;
    let bestGain = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < n; j++) {
      if (taken[j]) continue;
      const gain = (problem.relevance[j] as number) - problem.lambda * (penalty[j] as number);
      if (gain > bestGain) {
        bestGain = gain;
        best = j;
      }
    }
    taken[best] = 1;
    selected.push(best);
    for (let j = 0; j < n; j++) penalty[j] = (penalty[j] as number) + (problem.similarity[best * n + j] as number);
  }
  return { selected, objective: diversityObjective(problem, selected), solver: 'greedy-mmr' };
}

/**
 * Declared limits of tunneling's work, so a valid query cannot block the process for minutes:
 * a pool of at most {@link MAX_TUNNELING_POOL} candidates (the n×n similarity matrix and every
 * annealing step are O(n)), and at most {@link MAX_ANNEALING_STEPS} annealing steps.
 */
export const MAX_TUNNELING_POOL = 512;
export const MAX_ANNEALING_STEPS = 400 * MAX_TUNNELING_POOL;
/** Long CPU work yields to the event loop after about this many inner operations. */
export const WORK_SLICE = 250_000;

/** Refuses a pool beyond {@link MAX_TUNNELING_POOL} with a typed error naming the limit. */
export function checkPoolLimit(n: number, field = 'tunneling.poolSize'): void {
  if (n > MAX_TUNNELING_POOL) {
    throw new ValidationError(
      [
        {
          field,
          message: `tunneling pools hold at most ${MAX_TUNNELING_POOL} candidates (MAX_TUNNELING_POOL), got ${n}`,
          limit: MAX_TUNNELING_POOL,
        },
      ],
      'Tunneling limit',
    );
  }
}

/** Resolves after pending I/O and timers have had their turn (a fired AbortSignal included). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Drives a sliced computation to its end without pausing. */
function runToEnd<T>(work: Generator<void, T>): T {
  for (;;) {
    const step = work.next();
    if (step.done) return step.value;
  }
}

/** Drives a sliced computation, yielding to the event loop between slices and checking the signal. */
async function runSliced<T>(work: Generator<void, T>, signal?: AbortSignal): Promise<T> {
  for (;;) {
    throwIfAborted(signal);
    const step = work.next();
    if (step.done) return step.value;
    await yieldToEventLoop();
  }
}

/**
 * W_ij = cos(v_i, v_j) of a pool, n×n row-major, symmetric, diagonal 0: n(n−1)/2 dot products,
 * yielding to the event loop between slices.
 */
export async function similarityMatrix(vectors: readonly Float32Array[], signal?: AbortSignal): Promise<Float64Array> {
  checkPoolLimit(vectors.length, 'pool');
  return runSliced(similaritySlices(vectors), signal);
}

function* similaritySlices(vectors: readonly Float32Array[]): Generator<void, Float64Array> {
  const n = vectors.length;
  const similarity = new Float64Array(n * n);
  let work = 0;
  for (let a = 0; a < n; a++) {
    const va = vectors[a] as Float32Array;
    for (let b = a + 1; b < n; b++) {
      const w = score('cosine', va, vectors[b] as Float32Array);
      similarity[a * n + b] = w;
      similarity[b * n + a] = w;
    }
    work += (n - a) * va.length;
    if (work >= WORK_SLICE) {
      work = 0;
      yield;
    }
  }
  return similarity;
}

export interface AnnealingOptions {
  seed?: number;
  /** Default 400·n; at most {@link MAX_ANNEALING_STEPS}. */
  steps?: number;
}

/**
 * Simulated annealing over k-subsets, started from the greedy solution. A move swaps one chosen
 * candidate i for an unchosen j; its gain is Δ = (s_j − λ(I_j − W_ij)) − (s_i − λ I_i), with
 * I_m = Σ_{l∈S, l≠m} W_ml kept up to date. Metropolis acceptance at a temperature that falls
 * geometrically from the largest |Δ| seen in a probe to 1/1000 of it. Returns the best subset seen
 * (never worse than greedy). Deterministic for a seed. Pools up to {@link MAX_TUNNELING_POOL}.
 */
export function simulatedAnnealing(problem: DiversityProblem, options: AnnealingOptions = {}): DiversitySolution {
  return runToEnd(annealingSlices(problem, options));
}

/** {@link simulatedAnnealing}, yielding to the event loop between slices of work (same answer). */
export function simulatedAnnealingAsync(
  problem: DiversityProblem,
  options: AnnealingOptions & { signal?: AbortSignal } = {},
): Promise<DiversitySolution> {
  return runSliced(annealingSlices(problem, options), options.signal);
}

function* annealingSlices(problem: DiversityProblem, options: AnnealingOptions): Generator<void, DiversitySolution> {
  const n = checkProblem(problem);
  checkPoolLimit(n, 'relevance');
  const steps = options.steps ?? 400 * n;
  if (!Number.isInteger(steps) || steps < 0 || steps > MAX_ANNEALING_STEPS) {
    throw new ValidationError([
      {
        field: 'steps',
        message: `must be an integer from 0 to ${MAX_ANNEALING_STEPS} (MAX_ANNEALING_STEPS), got ${steps}`,
        limit: MAX_ANNEALING_STEPS,
      },
    ]);
  }
  const greedy = greedyMmr(problem);
  const k = problem.k;
  if (k === n) return { ...greedy, solver: 'simulated-annealing' };
  const rng = createRng(options.seed ?? 0x5eed);
  const W = problem.similarity;
  const s = problem.relevance;
  const lambda = problem.lambda;
  const inSet = new Uint8Array(n);
  const chosen = [...greedy.selected];
  const others: number[] = [];
  for (const i of chosen) inSet[i] = 1;
  for (let j = 0; j < n; j++) if (!inSet[j]) others.push(j);
  const interaction = new Float64Array(n);
  for (let m = 0; m < n; m++) {
    let sum = 0;
    for (const l of chosen) if (l !== m) sum += W[m * n + l] as number;
    interaction[m] = sum;
  }
  const gainOf = (a: number, b: number): number => {
    const i = chosen[a] as number;
    const j = others[b] as number;
    return (
      (s[j] as number) -
      lambda * ((interaction[j] as number) - (W[i * n + j] as number)) -
      ((s[i] as number) - lambda * (interaction[i] as number))
    );
  };
  let scale = 0;
  for (let probe = 0; probe < 64; probe++) {
    scale = Math.max(scale, Math.abs(gainOf(rng.int(0, k - 1), rng.int(0, n - k - 1))));
  }
  const t0 = scale > 0 ? scale : 1;
  const cooling = 1e-3 ** (1 / steps);
  let temperature = t0;
  let current = greedy.objective;
  let best = current;
  let bestSet = [...chosen];
  let work = 0;
  for (let step = 0; step < steps; step++, temperature *= cooling) {
    const a = rng.int(0, k - 1);
    const b = rng.int(0, n - k - 1);
    const delta = gainOf(a, b);
    work++;
    if (delta >= 0 || rng.float() < Math.exp(delta / temperature)) {
      const i = chosen[a] as number;
      const j = others[b] as number;
      chosen[a] = j;
      others[b] = i;
      for (let m = 0; m < n; m++) {
        interaction[m] = (interaction[m] as number) - (W[m * n + i] as number) + (W[m * n + j] as number);
      }
      work += n;
      // I_m excludes m itself: correct the two moved entries.
      interaction[i] = (interaction[i] as number) + (W[i * n + i] as number);
      interaction[j] = (interaction[j] as number) - (W[j * n + j] as number);
      current += delta;
      if (current > best + 1e-12) {
        best = current;
        bestSet = [...chosen];
        work += k;
      }
    }
    if (work >= WORK_SLICE) {
      work = 0;
      yield;
    }
  }
  const selected = orderByContribution(problem, bestSet);
  return { selected, objective: diversityObjective(problem, selected), solver: 'simulated-annealing' };
}

/** The exact optimum by enumerating every k-subset; for tests and small pools only (n ≤ 24). */
export function exhaustiveDiversity(problem: DiversityProblem): DiversitySolution {
  const n = checkProblem(problem);
  if (n > 24) throw new ValidationError([{ field: 'relevance', message: 'exhaustive search allows n ≤ 24' }]);
  let best: number[] = [];
  let bestValue = Number.NEGATIVE_INFINITY;
  const current: number[] = [];
  const walk = (start: number): void => {
    if (current.length === problem.k) {
      const value = diversityObjective(problem, current);
      if (value > bestValue) {
        bestValue = value;
        best = [...current];
      }
      return;
    }
    for (let i = start; i <= n - (problem.k - current.length); i++) {
      current.push(i);
      walk(i + 1);
      current.pop();
    }
  };
  walk(0);
  const selected = orderByContribution(problem, best);
  return { selected, objective: diversityObjective(problem, selected), solver: 'exhaustive' };
}

/**
 * Orders a chosen set greedily by marginal gain within the set, so the most relevant comes first:
 * O(k²), each candidate's penalty Σ_{l ordered} W_jl kept up to date.
 */
function orderByContribution(problem: DiversityProblem, set: readonly number[]): number[] {
  const n = problem.relevance.length;
  const remaining = [...set];
  const penalty = new Float64Array(remaining.length);
  const ordered: number[] = [];
  while (remaining.length > 0) {
    let bestAt = 0;
    let bestGain = Number.NEGATIVE_INFINITY;
    for (let a = 0; a < remaining.length; a++) {
      const gain = (problem.relevance[remaining[a] as number] as number) - problem.lambda * (penalty[a] as number);
      if (gain > bestGain) {
        bestGain = gain;
        bestAt = a;
      }
    }
    const chosen = remaining.splice(bestAt, 1)[0] as number;
    penalty.copyWithin(bestAt, bestAt + 1);
    ordered.push(chosen);
    for (let a = 0; a < remaining.length; a++) {
      penalty[a] = (penalty[a] as number) + (problem.similarity[(remaining[a] as number) * n + chosen] as number);
    }
  }
  return ordered;
}

/**
 * The Ising form of the penalised minimisation C(x) = −f(x) + A(Σx − k)², with x_i = (1 − z_i)/2:
 * C = offset + Σ_i h_i z_i + Σ_{i<j} J_ij z_i z_j. With c_i = −s_i + A(1 − 2k) and
 * Q_ij = λW_ij + 2A: h_i = −c_i/2 − Σ_{j≠i} Q_ij/4, J_ij = Q_ij/4,
 * offset = Σ c_i/2 + Σ_{i<j} Q_ij/4 + A k².
 */
export function isingForm(
  problem: DiversityProblem,
  penalty: number,
): { h: Float64Array; J: Float64Array; offset: number } {
  const n = checkProblem(problem);
  const k = problem.k;
  const h = new Float64Array(n);
  const J = new Float64Array(n * n);
  let offset = penalty * k * k;
  for (let i = 0; i < n; i++) {
    const c = -(problem.relevance[i] as number) + penalty * (1 - 2 * k);
    offset += c / 2;
    h[i] = -c / 2;
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const q = problem.lambda * (problem.similarity[i * n + j] as number) + 2 * penalty;
      J[i * n + j] = q / 4;
      offset += q / 4;
      h[i] = (h[i] as number) - q / 4;
      h[j] = (h[j] as number) - q / 4;
    }
  }
  return { h, J, offset };
}

/**
 * A depth-p QAOA circuit for the Ising form: H on every qubit, then per layer the cost unitary
 * e^{−iγC} as RZ(2γh_i) and RZZ(2γJ_ij), and the mixer e^{−iβΣX} as RX(2β). Candidate i is qubit
 * i; measuring 1 means "chosen".
 */
export function qaoaCircuit(
  ising: { h: Float64Array; J: Float64Array },
  angles: ReadonlyArray<{ gamma: number; beta: number }>,
): CircuitJson {
  const n = ising.h.length;
  const operations: CircuitJson['operations'] = [];
  for (let q = 0; q < n; q++) operations.push({ gate: 'h', qubits: [q] });
  for (const { gamma, beta } of angles) {
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const coupling = ising.J[i * n + j] as number;
        if (coupling !== 0) operations.push({ gate: 'rzz', qubits: [i, j], params: [2 * gamma * coupling] });
      }
    }
    for (let i = 0; i < n; i++)
      operations.push({ gate: 'rz', qubits: [i], params: [2 * gamma * (ising.h[i] as number)] });
    for (let i = 0; i < n; i++) operations.push({ gate: 'rx', qubits: [i], params: [2 * beta] });
  }
  return { numQubits: n, operations };
}

export interface QaoaOptions {
  shots: number;
  seed?: number;
  signal?: AbortSignal;
  /** Grid points per angle (γ and β); default 8, so 64 circuits in the scan. */
  grid?: number;
}

export interface QaoaReport extends DiversitySolution {
  /** Circuits sampled (grid + refinement + final). */
  circuits: number;
  /** Share of final samples that chose exactly k candidates. */
  feasibleFraction: number;
  /** The best angles found, and ⟨C⟩ there estimated from a fresh set of samples. */
  angles: { gamma: number; beta: number };
  expectedCost: number;
  /** ⟨C⟩ of the uniform superposition (γ = 0), the Ising offset: what QAOA must improve on. */
  uniformCost: number;
}

/**
 * QAOA (p = 1) for the diversity QUBO, on any backend that samples. The angles are chosen on a
 * γ×β grid and one refinement round by the sampled mean of C(x) (computed classically from each
 * measured bitstring); the answer is the best feasible bitstring among all samples, scored by f.
 * If no sample has exactly k ones, the most frequent bitstring is repaired greedily.
 */
export async function solveQaoa(
  problem: DiversityProblem,
  backend: QuantumBackend,
  options: QaoaOptions,
): Promise<QaoaReport> {
  const n = checkProblem(problem);
  if (n > MAX_QAOA_POOL) {
    throw new ValidationError([
      { field: 'relevance', message: `QAOA takes pools of at most ${MAX_QAOA_POOL}, got ${n}` },
    ]);
  }
  let maxS = 0;
  let maxW = 0;
  for (let i = 0; i < n; i++) maxS = Math.max(maxS, Math.abs(problem.relevance[i] as number));
  for (let i = 0; i < n * n; i++) maxW = Math.max(maxW, Math.abs(problem.similarity[i] as number));
  const penalty = maxS + problem.lambda * maxW + 1e-9;
  const ising = isingForm(problem, penalty);
  let scale = 0;
  for (const v of ising.h) scale = Math.max(scale, Math.abs(v));
  for (const v of ising.J) scale = Math.max(scale, Math.abs(v));
  scale = scale > 0 ? scale : 1;
  const cost = (bits: number): number => {
    let value = 0;
    let ones = 0;
    const chosen: number[] = [];
    for (let i = 0; i < n; i++) {
      if ((bits >> i) & 1) {
        ones++;
        chosen.push(i);
      }
    }
    value = -diversityObjective(problem, chosen) + penalty * (ones - problem.k) ** 2;
    return value;
  };
  const costCache = new Map<number, number>();
  const cachedCost = (bits: number): number => {
    let value = costCache.get(bits);
    if (value === undefined) {
      value = cost(bits);
      costCache.set(bits, value);
    }
    return value;
  };
  let bestFeasible: { bits: number; objective: number } | undefined;
  let circuitsRun = 0;
  let lastFeasibleFraction = 0;
  let mostFrequent = 0;
  const evaluate = async (angleSets: Array<{ gamma: number; beta: number }>, seedOffset: number) => {
    throwIfAborted(options.signal);
    const circuits = angleSets.map((a) => qaoaCircuit(ising, [a]));
    circuitsRun += circuits.length;
    const results = await backend.sample({
      circuits,
      shots: options.shots,
      ...(options.seed === undefined ? {} : { seed: options.seed + seedOffset }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return results.map((result) => {
      let mean = 0;
      let feasible = 0;
      let topCount = -1;
      for (const [bitstring, count] of Object.entries(result.counts)) {
        const bits = Number.parseInt(bitstring, 2);
        const c = cachedCost(bits);
        mean += c * count;
        if (count > topCount) {
          topCount = count;
          mostFrequent = bits;
        }
        if (popcount(bits) === problem.k) {
          feasible += count;
          const objective = -c; // the penalty is zero on feasible strings
          if (!bestFeasible || objective > bestFeasible.objective) bestFeasible = { bits, objective };
        }
      }
      lastFeasibleFraction = feasible / result.shots;
      return mean / result.shots;
    });
  };
  const gridSize = options.grid ?? 8;
  const grid: Array<{ gamma: number; beta: number }> = [];
  // ⟨C⟩(γ, β) = ⟨C⟩(−γ, −β) and RX(2β) has period π in β up to a phase, so γ > 0 with β over
  // (0, π) covers every angle pair once.
  for (let g = 1; g <= gridSize; g++) {
    for (let b = 1; b <= gridSize; b++) {
      grid.push({ gamma: (g * Math.PI) / (gridSize + 1) / scale, beta: (b * Math.PI) / (gridSize + 1) });
    }
  }
  const gridCosts = await evaluate(grid, 0);
  let bestAt = 0;
  for (let i = 1; i < gridCosts.length; i++) if ((gridCosts[i] as number) < (gridCosts[bestAt] as number)) bestAt = i;
  let angles = grid[bestAt] as { gamma: number; beta: number };
  let expectedCost = gridCosts[bestAt] as number;
  const dg = Math.PI / (gridSize + 1) / scale / 2;
  const db = Math.PI / (gridSize + 1) / 2;
  const refine: Array<{ gamma: number; beta: number }> = [];
  for (const sg of [-1, 0, 1]) {
    for (const sb of [-1, 0, 1]) {
      if (sg !== 0 || sb !== 0) refine.push({ gamma: angles.gamma + sg * dg, beta: angles.beta + sb * db });
    }
  }
  const refineCosts = await evaluate(refine, 1);
  for (let i = 0; i < refineCosts.length; i++) {
    if ((refineCosts[i] as number) < expectedCost) {
      expectedCost = refineCosts[i] as number;
      angles = refine[i] as { gamma: number; beta: number };
    }
  }
  // Re-estimated on fresh samples: the scan's minimum is biased low by the choice itself.
  expectedCost = (await evaluate([angles], 2))[0] as number;
  const feasibleFraction = lastFeasibleFraction;
  let chosen: number[];
  if (bestFeasible) {
    chosen = [];
    for (let i = 0; i < n; i++) if ((bestFeasible.bits >> i) & 1) chosen.push(i);
  } else {
    chosen = repair(problem, mostFrequent);
  }
  const selected = orderByContribution(problem, chosen);
  return {
    selected,
    objective: diversityObjective(problem, selected),
    solver: 'qaoa',
    circuits: circuitsRun,
    feasibleFraction,
    angles,
    expectedCost,
    uniformCost: ising.offset,
  };
}

function popcount(x: number): number {
  let c = 0;
  for (let v = x; v !== 0; v &= v - 1) c++;
  return c;
}

/** Makes a bitstring feasible: drops the worst or adds the best marginal candidates until |S| = k. */
function repair(problem: DiversityProblem, bits: number): number[] {
  const n = problem.relevance.length;
  const set: number[] = [];
  for (let i = 0; i < n; i++) if ((bits >> i) & 1) set.push(i);
  const marginal = (j: number, within: readonly number[]): number => {
    let penalty = 0;
    for (const l of within) if (l !== j) penalty += problem.similarity[j * n + l] as number;
    return (problem.relevance[j] as number) - problem.lambda * penalty;
  };
  while (set.length > problem.k) {
    let worst = 0;
    for (let a = 1; a < set.length; a++) {
      if (marginal(set[a] as number, set) < marginal(set[worst] as number, set)) worst = a;
    }
    set.splice(worst, 1);
  }
  while (set.length < problem.k) {
    let best = -1;
    for (let j = 0; j < n; j++) {
      if (set.includes(j)) continue;
      if (best < 0 || marginal(j, set) > marginal(best, set)) best = j;
    }
    set.push(best);
  }
  return set;
}
