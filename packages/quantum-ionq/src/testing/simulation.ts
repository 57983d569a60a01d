import { type CircuitJson, type CircuitOperation, createRng, type Observable, type Rng } from '@q-store/core';
import { StateVectorSimulator, walshHadamard } from '@q-store/quantum-sim';

/**
 * IonQ's published system figures, as fidelities (probability of success):
 * - `oneQubit`: average single-qubit gate fidelity, `twoQubit`: average two-qubit gate fidelity,
 *   `spam`: state preparation and measurement fidelity (per qubit).
 */
export interface NoiseFigures {
  oneQubit: number;
  twoQubit: number;
  spam: number;
}

/**
 * IonQ Aria's published figures (as listed on Azure Quantum's IonQ provider page,
 * learn.microsoft.com/azure/quantum/provider-ionq): 1-qubit gates 99.95 %, 2-qubit gates 99.6 %, SPAM 99.61 %. IonQ's v0.4 contract does not
 * carry figures for Forte or Harmony; the emulator uses Aria's for them unless the
 * `noiseFigures` option overrides a model.
 */
export const ARIA_FIGURES: Readonly<NoiseFigures> = Object.freeze({ oneQubit: 0.9995, twoQubit: 0.996, spam: 0.9961 });

/**
 * Error probabilities of the emulator's channel from published fidelities. A d-dimensional Pauli
 * depolarizing channel that applies a uniformly random non-identity Pauli with probability p has
 * process fidelity 1 − p and average gate fidelity F = 1 − p·d/(d + 1), so p = (1 − F)(d + 1)/d:
 * p₁ = 1.5·(1 − F₁q) on one qubit (d = 2), p₂ = 1.25·(1 − F₂q) on two (d = 4). Readout flips each
 * measured bit with probability 1 − F_spam.
 */
export function errorRates(f: NoiseFigures): { p1: number; p2: number; readout: number } {
  return { p1: 1.5 * (1 - f.oneQubit), p2: 1.25 * (1 - f.twoQubit), readout: 1 - f.spam };
}

/** One submitted gate: the core operations it became, and the qubits noise acts on after it. */
export interface SimGate {
  ops: CircuitOperation[];
  qubits: number[];
}

export interface SimCircuit {
  numQubits: number;
  gates: SimGate[];
}

const PAULI = ['x', 'y', 'z'] as const;

/** Widest circuit whose error trajectories are computed exactly; wider ones are sampled. */
const EXACT_TRAJECTORY_QUBITS = 6;
/** Longest stretch of trajectories run without yielding to the event loop. */
const YIELD_MS = 10;

/**
 * Runs circuits on quantum-sim. Ideal results are exact: the 2ⁿ Z-string expectations
 * ⟨Z_S⟩ = Σ_k p_k (−1)^{|S∧k|} come from quantum-sim's exact estimator and an inverse
 * Walsh–Hadamard transform gives every p_k (cost ~4ⁿ, so exact up to `exactMaxQubits`; wider
 * circuits are estimated from `idealSamples` shots of quantum-sim's sampler instead).
 */
export class Simulation {
  private readonly sim = new StateVectorSimulator({ wasm: false });

  constructor(
    private readonly exactMaxQubits: number,
    private readonly idealSamples: number,
  ) {}

  /** Exact |⟨k|ψ⟩|² for k in [0, 2ⁿ), or undefined above `exactMaxQubits`. */
  async exact(circuit: CircuitJson, signal?: AbortSignal): Promise<Float64Array | undefined> {
    const n = circuit.numQubits;
    if (n > this.exactMaxQubits) return undefined;
    const dim = 2 ** n;
    const observables: Observable[] = [];
    for (let s = 0; s < dim; s++) {
      let paulis = '';
      for (let q = n - 1; q >= 0; q--) paulis += (s >> q) & 1 ? 'Z' : 'I';
      observables.push([{ coefficient: 1, paulis }]);
    }
    const { values } = await this.sim.estimate({ circuit, observables, ...(signal ? { signal } : {}) });
    const p = Float64Array.from(values);
    walshHadamard(p); // the ⟨Z^m⟩ back to 2ⁿ·p_k
    let total = 0;
    for (let k = 0; k < dim; k++) {
      const v = (p[k] as number) / dim;
      p[k] = v > 1e-12 ? v : 0;
      total += p[k] as number;
    }
    for (let k = 0; k < dim; k++) p[k] = (p[k] as number) / total;
    return p;
  }

  /** Counts by basis state for `shots` shots of `circuit` (quantum-sim's sampler). */
  async sampled(circuit: CircuitJson, shots: number, seed: number, signal?: AbortSignal): Promise<Map<number, number>> {
    const [r] = await this.sim.sample({ circuits: [circuit], shots, seed, ...(signal ? { signal } : {}) });
    const out = new Map<number, number>();
    for (const [bits, c] of Object.entries(r?.counts ?? {})) out.set(Number.parseInt(bits, 2), c);
    return out;
  }

  /** The ideal distribution: exact when narrow enough, else `idealSamples` samples. */
  async ideal(c: SimCircuit, seed: number, signal?: AbortSignal): Promise<Map<number, number>> {
    const json = toJson(c.numQubits, c.gates);
    const exact = await this.exact(json, signal);
    if (exact) {
      const out = new Map<number, number>();
      exact.forEach((p, k) => {
        if (p > 0) out.set(k, p);
      });
      return out;
    }
    return normalise(await this.sampled(json, this.idealSamples, seed, signal), this.idealSamples);
  }

  /**
   * Noisy counts for `shots` shots. Each trajectory draws, after every gate of `c` (native gates:
   * the emulator compiles qis circuits first), an error
   * with probability p₁ (one qubit: X, Y or Z uniformly) or p₂ (two or more qubits: a uniformly
   * random non-identity Pauli string on the gate's qubits); its circuit is run exactly on
   * quantum-sim (distinct error patterns cached) or sampled there, its shots drawn, and
   * every measured bit flipped with the readout probability. `shots` trajectories up to
   * `maxTrajectories`, shots split evenly between them beyond. Deterministic for a seed. `signal`
   * stops it between trajectories (the emulator's `stop()` uses it: a wide noisy job can take minutes).
   */
  async noisy(
    c: SimCircuit,
    rates: { p1: number; p2: number; readout: number },
    shots: number,
    seed: number,
    maxTrajectories: number,
    signal?: AbortSignal,
  ): Promise<Map<number, number>> {
    const rng = createRng(seed);
    const runs = Math.min(shots, maxTrajectories);
    const cache = new Map<string, { cdf: Float64Array } | { circuit: CircuitJson }>();
    const counts = new Map<number, number>();
    let lastYield = performance.now();
    for (let t = 0; t < runs; t++) {
      // quantum-sim answers small circuits synchronously, so awaiting it never lets the event loop
      // run: yield every YIELD_MS so the emulator keeps serving requests (reads, cancels) meanwhile.
      if (performance.now() - lastYield > YIELD_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
      signal?.throwIfAborted();
      const share = Math.floor(shots / runs) + (t < shots % runs ? 1 : 0);
      const errors = drawErrors(c, rates, rng);
      const key = errors.map((e) => `${e.at}:${e.ops.map((o) => o.gate + o.qubits[0]).join('')}`).join(',');
      let entry = cache.get(key);
      if (!entry) {
        const json = toJson(c.numQubits, c.gates, errors);
        // The error-free circuit (most shots) exactly when narrow enough; with errors, exactly on
        // few qubits, else by quantum-sim's sampler (cheaper than 4ⁿ for a few shots).
        const exact = key === '' || c.numQubits <= EXACT_TRAJECTORY_QUBITS ? await this.exact(json, signal) : undefined;
        entry = exact ? { cdf: cumulative(exact) } : { circuit: json };
        cache.set(key, entry);
      }
      const outcomes: number[] = [];
      if ('cdf' in entry) {
        for (let s = 0; s < share; s++) outcomes.push(draw(entry.cdf, rng));
      } else {
        const sampled = await this.sampled(entry.circuit, share, rng.int(0, 2 ** 31 - 1), signal);
        for (const [k, n] of sampled) for (let s = 0; s < n; s++) outcomes.push(k);
      }
      for (let k of outcomes) {
        if (rates.readout > 0) {
          for (let q = 0; q < c.numQubits; q++) if (rng.float() < rates.readout) k ^= 1 << q;
        }
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
    }
    return counts;
  }
}

interface DrawnError {
  at: number;
  ops: CircuitOperation[];
}

function drawErrors(c: SimCircuit, rates: { p1: number; p2: number }, rng: Rng): DrawnError[] {
  const out: DrawnError[] = [];
  c.gates.forEach((g, at) => {
    const k = g.qubits.length;
    if (k === 0) return;
    const p = k === 1 ? rates.p1 : rates.p2;
    if (p <= 0 || rng.float() >= p) return;
    // A uniformly random non-identity Pauli string on k qubits: index in [1, 4^k).
    const index = rng.int(1, 4 ** k - 1);
    const ops: CircuitOperation[] = [];
    g.qubits.forEach((q, i) => {
      const letter = Math.floor(index / 4 ** i) % 4;
      if (letter > 0) ops.push({ gate: PAULI[letter - 1] as string, qubits: [q] });
    });
    out.push({ at, ops });
  });
  return out;
}

/** Core's circuit of the gates, with drawn errors inserted after their gates. */
export function toJson(numQubits: number, gates: SimGate[], errors: DrawnError[] = []): CircuitJson {
  const operations: CircuitOperation[] = [];
  let e = 0;
  gates.forEach((g, at) => {
    operations.push(...g.ops);
    while (e < errors.length && (errors[e] as DrawnError).at === at)
      operations.push(...(errors[e++] as DrawnError).ops);
  });
  return { numQubits, operations };
}

function cumulative(p: Float64Array): Float64Array {
  const cdf = new Float64Array(p.length);
  let s = 0;
  for (let k = 0; k < p.length; k++) {
    s += p[k] as number;
    cdf[k] = s;
  }
  return cdf;
}

function draw(cdf: Float64Array, rng: Rng): number {
  const u = rng.float() * (cdf[cdf.length - 1] as number);
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cdf[mid] as number) > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function normalise(counts: Map<number, number>, shots: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const [k, c] of counts) out.set(k, c / shots);
  return out;
}

/** IonQ's result body: decimal basis-state keys (qubit 0 least significant) in ascending order. */
export function toIonqMap(dist: Map<number, number>, scale = 1): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of [...dist.keys()].sort((a, b) => a - b)) out[String(k)] = (dist.get(k) as number) / scale;
  return out;
}
