/**
 * Batched exact evaluation of one fixed circuit over many angle sets.
 *
 * A {@link BatchedCircuit} is a gate list compiled once. Each parameterised gate reads its angle
 * from a slot of a per-sample angle vector, so one call evaluates B samples (inputs and parameters
 * already folded into the angles by the caller) with two reused state buffers and no per-sample
 * allocation, compilation or dispatch. Values are exact expectations of Z-strings; gradients are
 * adjoint-mode (one forward and one backward sweep per sample, whatever the number of angles).
 *
 * Conventions (PennyLane's): wire 0 is the most significant bit of the amplitude index, so wire q
 * is bit n−1−q. RX/RY/RZ(θ) = exp(−iθP/2); ZZ/XX/YY(θ) = exp(−iθ/2 P⊗P) (IsingZZ = MultiRZ on two
 * wires); H, CNOT(control, target), CZ as usual.
 *
 * Adjoint rule: for G(θ) = exp(−iθP/2) with φ the state right after G and λ = (gates after G)† O ψ,
 * ∂⟨O⟩/∂θ = Im⟨λ|P|φ⟩.
 *
 * Per observable set the gate list is first cut to its light cone ({@link lightCone}); then a
 * product-state path (only one-qubit gates left), the WebAssembly SIMD path (batched-kernels.wat,
 * two samples per f64x2 lane) or the JavaScript path runs. All three give the same values and
 * gradients to rounding.
 */

import { parity, walshHadamard } from './pauli.js';
import { BATCHED_KERNELS_WASM_BASE64 } from './wasm/batched-kernels-wasm.js';

/** One gate. `angle` is the index of the slot in the per-sample angle vector. */
export type BatchedGate =
  | { readonly gate: 'h'; readonly wire: number }
  | { readonly gate: 'cnot'; readonly control: number; readonly target: number }
  | { readonly gate: 'cz'; readonly wires: readonly [number, number] }
  | { readonly gate: 'rx' | 'ry' | 'rz'; readonly wire: number; readonly angle: number }
  | { readonly gate: 'zz' | 'xx' | 'yy'; readonly wires: readonly [number, number]; readonly angle: number }
  /**
   * PennyLane's Rot(φ, θ, ω) = RZ(ω)·RY(θ)·RZ(φ) fused into one pass; `angles` are the slots of
   * φ, θ, ω. Its adjoint step reads all three gradients from one 2×2 cross matrix.
   */
  | { readonly gate: 'rot'; readonly wire: number; readonly angles: readonly [number, number, number] };

/** Fills the initial state of sample `b` (real and imaginary parts, length 2^n each). */
export type StatePreparation = (b: number, re: Float64Array, im: Float64Array) => void;

export interface BatchedRunParams {
  /** Number of samples B. */
  readonly batchSize: number;
  /** B × numAngles angles, sample-major. */
  readonly angles: Float64Array;
  /** Initial state per sample; |0…0⟩ when omitted. */
  readonly prepare?: StatePreparation;
}

export interface BatchedExpectationParams extends BatchedRunParams {
  /** Z-strings, each a list of wires: ⟨Z_w1 Z_w2 …⟩. */
  readonly observables: ReadonlyArray<readonly number[]>;
}

export interface BatchedGradientParams extends BatchedExpectationParams {
  /**
   * Given sample b's expectation values, writes the loss cotangent ∂ℓ_b/∂⟨O_j⟩ into `out` (length =
   * observables). The gradient returned is then ∂ℓ_b/∂angle for each slot (chain rule through the
   * combined diagonal observable Σ_j out_j O_j, one backward sweep).
   */
  readonly cotangent: (b: number, values: Float64Array, out: Float64Array) => void;
}

export interface BatchedGradientResult {
  /** B × observables expectation values. */
  readonly values: Float64Array;
  /** B × numAngles gradients of each sample's loss. */
  readonly angleGradients: Float64Array;
}

const SQRT1_2 = Math.SQRT1_2;
/** From this many qubits on, single-qubit gates on a wire are fused into chains. */
const CHAIN_MIN_QUBITS = 6;

interface Compiled {
  readonly kind: number;
  readonly m1: number;
  readonly m2: number;
  /** First angle slot (φ for rot), −1 for fixed gates. */
  readonly slot: number;
  readonly slot2: number;
  readonly slot3: number;
  /** For fused CZ runs: the basis indices whose amplitude the run negates. */
  readonly flip?: Int32Array;
  /** For fused CNOT runs: out[j] = in[gather[j]] applies the run; `undo` applies its inverse. */
  readonly gather?: Int32Array;
  readonly undo?: Int32Array;
  /** For single-qubit chains: elementary gates in order (0 h, 1 rx, 2 ry, 3 rz) and their slots. */
  readonly chainKinds?: Int8Array;
  readonly chainSlots?: Int32Array;
}

const K = {
  h: 0,
  cnot: 1,
  cz: 2,
  rx: 3,
  ry: 4,
  rz: 5,
  zz: 6,
  xx: 7,
  yy: 8,
  rot: 9,
  czRun: 10,
  cnotRun: 11,
  chain: 12,
} as const;

export interface BatchedCircuitOptions {
  /** Angle slots per sample (at least 1 + the largest slot used). */
  readonly numAngles?: number;
  /**
   * Fuse each wire's single-qubit gates into one pass (default: from 6 qubits on, where a pass
   * over the state outweighs the chain's 2×2 products). The SIMD path always fuses.
   */
  readonly fuseChains?: boolean;
  /**
   * Use the WebAssembly SIMD kernels (two samples per f64x2 lane) when available: true whenever
   * the circuit allows, false forces plain JavaScript, and the default from
   * {@link BATCHED_SIMD_MIN_QUBITS} qubits on (below, a pass is too short to repay the per-gate
   * work of packing two samples' matrices). Circuits with ZZ/XX/YY gates, or above
   * {@link BATCHED_SIMD_MAX_QUBITS} qubits, always run in JavaScript.
   */
  readonly wasm?: boolean;
  /**
   * Skip the gates that cannot change the observables (default true): trailing CNOTs and
   * diagonal gates are folded into the Z-strings, and gates outside the observables' backward
   * light cone are dropped. Values and gradients are unchanged (a dropped angle's gradient is 0).
   */
  readonly lightCone?: boolean;
  /**
   * SIMD path, gradients: the forward sweep keeps ψ after every op for the backward sweep (which
   * then updates λ alone) when (ops + 1) pair states fit this many bytes (default 64 MiB; a pair
   * state is 32·2^n bytes); otherwise, or with 0, the backward sweep undoes each op on ψ too.
   */
  readonly keptStateBytes?: number;
}

/** Fewest qubits the SIMD path takes by default (measured: `--only batched` in the bench). */
export const BATCHED_SIMD_MIN_QUBITS = 6;

/** Most qubits the SIMD path takes (its buffers: five blocks of 2^n × 16 bytes). */
export const BATCHED_SIMD_MAX_QUBITS = 20;

/** A circuit reduced for one observable set. */
interface Plan {
  /** Fused ops the JavaScript path runs. */
  readonly ops: Compiled[];
  /** Z-string masks after folding the trailing CNOTs into them. */
  readonly masks: number[];
  /** The SIMD path's ops, when it takes this plan. */
  readonly simd?: SimdOp[];
  /**
   * When every gate left is a one-qubit gate: one chain per wire, and for each Z-string the
   * indices of the chains on its wires. Without a prepared state each wire then evolves alone.
   */
  readonly product?: { readonly chains: Compiled[]; readonly terms: number[][] };
}

export class BatchedCircuit {
  readonly numQubits: number;
  /** Angle slots per sample (1 + the largest slot index used). */
  readonly numAngles: number;
  readonly dim: number;
  /** Whether expectations and gradients run on the WebAssembly SIMD kernels. */
  readonly simd: boolean;
  /** Validated gates, before any fusion. */
  private readonly raw: Compiled[];
  private readonly fuseChains: boolean;
  private readonly lightCone: boolean;
  private readonly keptStateBytes: number;
  private readonly full: Compiled[];
  private readonly plans = new Map<string, Plan>();
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly lre: Float64Array;
  private readonly lim: Float64Array;
  private readonly wht: Float64Array;
  private readonly rotU = new Float64Array(8);
  private readonly rotW = new Float64Array(8);
  private engine: SimdEngine | undefined;

  constructor(numQubits: number, gates: readonly BatchedGate[], options: BatchedCircuitOptions = {}) {
    if (!Number.isInteger(numQubits) || numQubits < 1 || numQubits > 26) {
      throw new RangeError(`numQubits must be an integer in 1..26, got ${numQubits}`);
    }
    this.numQubits = numQubits;
    this.dim = 2 ** numQubits;
    const bit = (w: number): number => {
      if (!Number.isInteger(w) || w < 0 || w >= numQubits) {
        throw new RangeError(`wire ${w} is outside 0..${numQubits - 1}`);
      }
      return 1 << (numQubits - 1 - w);
    };
    let maxSlot = -1;
    this.raw = gates.map((g): Compiled => {
      switch (g.gate) {
        case 'h':
          return { kind: K.h, m1: bit(g.wire), m2: 0, slot: -1, slot2: -1, slot3: -1 };
        case 'cnot':
          if (g.control === g.target) throw new RangeError('cnot control and target must differ');
          return { kind: K.cnot, m1: bit(g.control), m2: bit(g.target), slot: -1, slot2: -1, slot3: -1 };
        case 'cz':
          if (g.wires[0] === g.wires[1]) throw new RangeError('cz wires must differ');
          return { kind: K.cz, m1: bit(g.wires[0]), m2: bit(g.wires[1]), slot: -1, slot2: -1, slot3: -1 };
        case 'rx':
        case 'ry':
        case 'rz':
          maxSlot = Math.max(maxSlot, g.angle);
          return { kind: K[g.gate], m1: bit(g.wire), m2: 0, slot: g.angle, slot2: -1, slot3: -1 };
        case 'rot':
          maxSlot = Math.max(maxSlot, ...g.angles);
          return { kind: K.rot, m1: bit(g.wire), m2: 0, slot: g.angles[0], slot2: g.angles[1], slot3: g.angles[2] };
        default:
          if (g.wires[0] === g.wires[1]) throw new RangeError(`${g.gate} wires must differ`);
          maxSlot = Math.max(maxSlot, g.angle);
          return { kind: K[g.gate], m1: bit(g.wires[0]), m2: bit(g.wires[1]), slot: g.angle, slot2: -1, slot3: -1 };
      }
    });
    for (const op of this.raw) {
      for (const sl of op.kind === K.rot ? [op.slot, op.slot2, op.slot3] : [op.slot]) {
        if (sl !== -1 && (!Number.isInteger(sl) || sl < 0)) {
          throw new RangeError(`angle slot must be a non-negative integer, got ${sl}`);
        }
      }
    }
    this.fuseChains = options.fuseChains ?? numQubits >= CHAIN_MIN_QUBITS;
    this.lightCone = options.lightCone ?? true;
    this.keptStateBytes = options.keptStateBytes ?? 64 * 2 ** 20;
    if (!(this.keptStateBytes >= 0)) {
      throw new RangeError(`keptStateBytes must be a non-negative number, got ${options.keptStateBytes}`);
    }
    this.full = this.fuse(this.raw);
    this.numAngles = Math.max(options.numAngles ?? 0, maxSlot + 1);
    this.simd =
      (options.wasm ?? numQubits >= BATCHED_SIMD_MIN_QUBITS) &&
      numQubits <= BATCHED_SIMD_MAX_QUBITS &&
      this.raw.every((op) => op.kind !== K.zz && op.kind !== K.xx && op.kind !== K.yy) &&
      batchedKernels() !== undefined;
    this.re = new Float64Array(this.dim);
    this.im = new Float64Array(this.dim);
    this.lre = new Float64Array(this.dim);
    this.lim = new Float64Array(this.dim);
    this.wht = new Float64Array(this.dim);
  }

  private fuse(ops: Compiled[]): Compiled[] {
    // Chains pay a few 2×2 products per gate: worth it once a pass over the state costs more.
    const chained = this.fuseChains ? fuseSingleQubitChains(ops) : ops;
    return fuseCnotRuns(fuseCzRuns(chained, this.dim, 2), this.dim, 2);
  }

  /** The circuit reduced for these observables (cached per observable set). */
  private plan(observables: ReadonlyArray<readonly number[]>): Plan {
    const masks = observables.map((o) => this.zMask(o));
    const key = masks.join(',');
    let plan = this.plans.get(key);
    if (!plan) {
      const cone = this.lightCone ? lightCone(this.raw, masks) : { ops: this.raw, masks };
      const single = cone.ops.every((op) => op.m2 === 0);
      const chains = single ? fuseSingleQubitChains(cone.ops) : [];
      plan = {
        ops: this.lightCone ? this.fuse(cone.ops) : this.full,
        masks: cone.masks,
        simd: this.simd ? this.simdEngine().compile(cone.ops) : undefined,
        product:
          single && this.lightCone
            ? {
                chains,
                terms: cone.masks.map((m) => chains.flatMap((c, i) => ((c.m1 & m) !== 0 ? [i] : []))),
              }
            : undefined,
      };
      this.plans.set(key, plan);
    }
    return plan;
  }

  private simdEngine(): SimdEngine {
    this.engine ??= new SimdEngine(this.dim, this.keptStateBytes);
    return this.engine;
  }

  /** Runs sample b forward through `ops` into the internal buffers. */
  private forward(b: number, angles: Float64Array, ops: Compiled[], prepare?: StatePreparation): void {
    const { re, im } = this;
    if (prepare) prepare(b, re, im);
    else {
      re.fill(0);
      im.fill(0);
      re[0] = 1;
    }
    const base = b * this.numAngles;
    const u = this.rotU;
    for (const op of ops) {
      if (op.kind === K.chain) {
        chainMatrix(op, angles, base, u);
        applyU(re, im, this.dim, op.m1, u);
      } else if (op.kind === K.rot) {
        rotMatrix(
          angles[base + op.slot] as number,
          angles[base + op.slot2] as number,
          angles[base + op.slot3] as number,
          u,
        );
        applyU(re, im, this.dim, op.m1, u);
      } else applyGate(re, im, this.dim, op, op.slot >= 0 ? (angles[base + op.slot] as number) : 0);
    }
  }

  private checkRun(p: BatchedRunParams): void {
    if (!Number.isInteger(p.batchSize) || p.batchSize < 0) {
      throw new RangeError(`batchSize must be a non-negative integer, got ${p.batchSize}`);
    }
    if (p.angles.length < p.batchSize * this.numAngles) {
      throw new RangeError(
        `angles has ${p.angles.length} values; batchSize ${p.batchSize} × numAngles ${this.numAngles} needed`,
      );
    }
  }

  /**
   * Calls `onState(b, re, im)` with each sample's final state (the buffers are reused: copy what
   * you keep). Used by kernel models to compute each state once. Runs the full circuit in
   * JavaScript (no observable, so no light cone).
   */
  states(p: BatchedRunParams, onState: (b: number, re: Float64Array, im: Float64Array) => void): void {
    this.checkRun(p);
    for (let b = 0; b < p.batchSize; b++) {
      this.forward(b, p.angles, this.full, p.prepare);
      onState(b, this.re, this.im);
    }
  }

  /** ⟨O_j⟩ for every sample and Z-string, B × observables, sample-major. */
  expectations(p: BatchedExpectationParams): Float64Array {
    this.checkRun(p);
    const plan = this.plan(p.observables);
    const nObs = plan.masks.length;
    const out = new Float64Array(p.batchSize * nObs);
    if (plan.product && !p.prepare) {
      productRun(plan.product, this.numAngles, p, out);
      return out;
    }
    if (plan.simd) {
      this.simdEngine().run(this, plan.simd, plan.masks, p, out);
      return out;
    }
    for (let b = 0; b < p.batchSize; b++) {
      this.forward(b, p.angles, plan.ops, p.prepare);
      zExpectations(this.re, this.im, 1, 0, 0, this.dim, plan.masks, this.wht, out, b * nObs);
    }
    return out;
  }

  /** Values and adjoint gradients of each sample's loss with respect to every angle slot. */
  valueAndGradient(p: BatchedGradientParams): BatchedGradientResult {
    this.checkRun(p);
    const plan = this.plan(p.observables);
    const nObs = plan.masks.length;
    const values = new Float64Array(p.batchSize * nObs);
    const grads = new Float64Array(p.batchSize * this.numAngles);
    if (plan.product && !p.prepare) {
      productRun(plan.product, this.numAngles, p, values, grads);
      return { values, angleGradients: grads };
    }
    if (plan.simd) {
      this.simdEngine().run(this, plan.simd, plan.masks, p, values, grads);
      return { values, angleGradients: grads };
    }
    const masks = plan.masks;
    const cot = new Float64Array(nObs);
    const { re, im, lre, lim, dim } = this;
    for (let b = 0; b < p.batchSize; b++) {
      this.forward(b, p.angles, plan.ops, p.prepare);
      zExpectations(re, im, 1, 0, 0, dim, masks, this.wht, values, b * nObs);
      cot.fill(0);
      p.cotangent(b, values.subarray(b * nObs, (b + 1) * nObs), cot);
      // λ = (Σ_j c_j Z_j) φ, elementwise since Z-strings are diagonal.
      const d = zDiagonal(masks, cot, this.wht);
      for (let k = 0; k < dim; k++) {
        lre[k] = (d[k] as number) * (re[k] as number);
        lim[k] = (d[k] as number) * (im[k] as number);
      }
      const base = b * this.numAngles;
      for (let g = plan.ops.length - 1; g >= 0; g--) {
        const op = plan.ops[g] as Compiled;
        if (op.kind === K.chain) {
          chainGradients(crossMatrix(lre, lim, re, im, dim, op.m1), op, p.angles, base, grads, this.rotU);
          // Undo the chain on both vectors with U† (chainGradients leaves U in rotU).
          daggerInto(this.rotU, this.rotW);
          applyU2(re, im, lre, lim, dim, op.m1, this.rotW);
          continue;
        }
        if (op.kind === K.rot) {
          const phi = p.angles[base + op.slot] as number;
          const th = p.angles[base + op.slot2] as number;
          const om = p.angles[base + op.slot3] as number;
          const cm = crossMatrix(lre, lim, re, im, dim, op.m1);
          rotGradients(cm, th, om, grads, base + op.slot, base + op.slot2, base + op.slot3);
          // Undo the gate on both vectors: U† = Rot(−ω, −θ, −φ).
          rotMatrix(-om, -th, -phi, this.rotW);
          applyU2(re, im, lre, lim, dim, op.m1, this.rotW);
          continue;
        }
        if (op.kind === K.cnotRun) {
          gatherInPlace(re, im, dim, op.undo as Int32Array);
          gatherInPlace(lre, lim, dim, op.undo as Int32Array);
          continue;
        }
        if (op.slot >= 0) {
          grads[base + op.slot] = (grads[base + op.slot] as number) + generatorOverlap(lre, lim, re, im, dim, op);
        }
        const theta = op.slot >= 0 ? -(p.angles[base + op.slot] as number) : 0;
        applyGate(re, im, dim, op, theta);
        applyGate(lre, lim, dim, op, theta);
      }
    }
    return { values, angleGradients: grads };
  }

  /**
   * The elementary gates left after the light cone for these observables (all of them with
   * `lightCone: false`): what one forward sweep applies.
   */
  activeGates(observables: ReadonlyArray<readonly number[]>): number {
    const masks = observables.map((o) => this.zMask(o));
    return this.lightCone ? lightCone(this.raw, masks).ops.length : this.raw.length;
  }

  /**
   * Which path evaluates these observables: `product` (only one-qubit gates left after the light
   * cone and no prepared state: wire by wire), `simd` (the WebAssembly kernels) or `js`.
   */
  pathFor(observables: ReadonlyArray<readonly number[]>, prepared = false): 'product' | 'simd' | 'js' {
    const plan = this.plan(observables);
    if (plan.product && !prepared) return 'product';
    return plan.simd ? 'simd' : 'js';
  }

  /** @internal The scratch buffers the SIMD path borrows. */
  scratch(): { re: Float64Array; im: Float64Array; wht: Float64Array } {
    return { re: this.re, im: this.im, wht: this.wht };
  }

  private zMask(wires: readonly number[]): number {
    let m = 0;
    for (const w of wires) {
      if (!Number.isInteger(w) || w < 0 || w >= this.numQubits) {
        throw new RangeError(`observable wire ${w} is outside 0..${this.numQubits - 1}`);
      }
      m ^= 1 << (this.numQubits - 1 - w);
    }
    return m;
  }
}

/**
 * A product state: every gate is a one-qubit gate and the start is |0…0⟩, so wire w ends in
 * U_w|0⟩ and a Z-string's value is the product of its wires' ⟨Z_w⟩. Gradients by the product rule:
 * wire w's chain sees the observable g_w Z with g_w = Σ_j c_j Π_{w' ∈ j, w' ≠ w} ⟨Z_w'⟩, and its
 * angles' gradients come from the 2×2 cross matrix of λ = g_w Z ψ_w and ψ_w, as in the full sweep.
 */
function productRun(
  product: { readonly chains: Compiled[]; readonly terms: number[][] },
  numAngles: number,
  p: BatchedExpectationParams | BatchedGradientParams,
  values: Float64Array,
  grads?: Float64Array,
): void {
  const { chains, terms } = product;
  const nObs = terms.length;
  const z = new Float64Array(chains.length);
  const psi = new Float64Array(4 * chains.length);
  const u = new Float64Array(8);
  const cm = new Float64Array(8);
  const cot = new Float64Array(nObs);
  const cotangent = grads ? (p as BatchedGradientParams).cotangent : undefined;
  for (let b = 0; b < p.batchSize; b++) {
    const base = b * numAngles;
    for (let c = 0; c < chains.length; c++) {
      chainMatrix(chains[c] as Compiled, p.angles, base, u);
      // U|0⟩ is U's first column.
      psi.set([u[0] as number, u[1] as number, u[4] as number, u[5] as number], 4 * c);
      z[c] = (u[0] as number) ** 2 + (u[1] as number) ** 2 - (u[4] as number) ** 2 - (u[5] as number) ** 2;
    }
    for (let j = 0; j < nObs; j++) {
      let v = 1;
      for (const c of terms[j] as number[]) v *= z[c] as number;
      values[b * nObs + j] = v;
    }
    if (!grads || !cotangent) continue;
    cot.fill(0);
    cotangent(b, values.subarray(b * nObs, (b + 1) * nObs), cot);
    for (let c = 0; c < chains.length; c++) {
      let g = 0;
      for (let j = 0; j < nObs; j++) {
        const t = terms[j] as number[];
        if (!t.includes(c)) continue;
        let rest = cot[j] as number;
        for (const c2 of t) if (c2 !== c) rest *= z[c2] as number;
        g += rest;
      }
      if (g === 0) continue;
      const p0r = psi[4 * c] as number;
      const p0i = psi[4 * c + 1] as number;
      const p1r = psi[4 * c + 2] as number;
      const p1i = psi[4 * c + 3] as number;
      // λ = g Z ψ = (g ψ0, −g ψ1); C_ab = conj(λ_a) ψ_b.
      const l0r = g * p0r;
      const l0i = g * p0i;
      const l1r = -g * p1r;
      const l1i = -g * p1i;
      cm[0] = l0r * p0r + l0i * p0i;
      cm[1] = l0r * p0i - l0i * p0r;
      cm[2] = l0r * p1r + l0i * p1i;
      cm[3] = l0r * p1i - l0i * p1r;
      cm[4] = l1r * p0r + l1i * p0i;
      cm[5] = l1r * p0i - l1i * p0r;
      cm[6] = l1r * p1r + l1i * p1i;
      cm[7] = l1r * p1i - l1i * p1r;
      chainGradients(cm, chains[c] as Compiled, p.angles, base, grads, u);
    }
  }
}

/**
 * The gates that can change ⟨O_j⟩ for Z-strings O_j, and the Z-strings they then need. Walking
 * back from the end: a trailing CNOT is folded into the Z-strings (CNOT·Z_t·CNOT = Z_c Z_t) and a
 * diagonal gate (CZ, RZ, ZZ) commutes with them, while every later kept gate on its wires is
 * diagonal too; any other gate is kept only if it touches the backward light cone (the wires of
 * the Z-strings and of the gates kept after it), which it then joins.
 */
function lightCone(ops: readonly Compiled[], masks: readonly number[]): { ops: Compiled[]; masks: number[] } {
  const out = masks.slice();
  const kept: Compiled[] = [];
  let cone = 0;
  for (const m of out) cone |= m;
  /** Wires with no kept non-diagonal gate after the current point. */
  let clean = -1;
  let tail = true;
  for (let g = ops.length - 1; g >= 0; g--) {
    const op = ops[g] as Compiled;
    const wires = op.m1 | op.m2;
    const diagonal = op.kind === K.cz || op.kind === K.rz || op.kind === K.zz;
    if (tail && op.kind === K.cnot) {
      for (let j = 0; j < out.length; j++) if ((out[j] as number) & op.m2) out[j] = (out[j] as number) ^ op.m1;
      cone = 0;
      for (const m of out) cone |= m;
      continue;
    }
    if (diagonal && (wires & ~clean) === 0) continue;
    tail = false;
    if ((wires & cone) === 0) continue;
    kept.push(op);
    cone |= wires;
    if (!diagonal) clean &= ~wires;
  }
  return { ops: kept.reverse(), masks: out };
}

/** Replaces each run of `minRun` or more consecutive CZ gates by one pass over the indices it negates. */
function fuseCzRuns(ops: Compiled[], dim: number, minRun: number): Compiled[] {
  const out: Compiled[] = [];
  for (let i = 0; i < ops.length; ) {
    let j = i;
    while (j < ops.length && (ops[j] as Compiled).kind === K.cz) j++;
    if (j - i < minRun || j === i) {
      out.push(ops[i] as Compiled);
      i++;
      continue;
    }
    const run = ops.slice(i, j);
    const flip: number[] = [];
    for (let k = 0; k < dim; k++) {
      let neg = false;
      for (const op of run) if ((k & op.m1) !== 0 && (k & op.m2) !== 0) neg = !neg;
      if (neg) flip.push(k);
    }
    out.push({ kind: K.czRun, m1: 0, m2: 0, slot: -1, slot2: -1, slot3: -1, flip: Int32Array.from(flip) });
    i = j;
  }
  return out;
}

/** Replaces each run of `minRun` or more consecutive CNOTs by one permutation (gather) pass. */
function fuseCnotRuns(ops: Compiled[], dim: number, minRun: number): Compiled[] {
  const out: Compiled[] = [];
  for (let i = 0; i < ops.length; ) {
    let j = i;
    while (j < ops.length && (ops[j] as Compiled).kind === K.cnot) j++;
    if (j - i < minRun || j === i) {
      out.push(ops[i] as Compiled);
      i++;
      continue;
    }
    const run = ops.slice(i, j);
    // σ(k): where basis state k ends up after the run; gather = σ⁻¹, undo = σ.
    const sigma = new Int32Array(dim);
    const inv = new Int32Array(dim);
    for (let k = 0; k < dim; k++) {
      let v = k;
      for (const op of run) if (v & op.m1) v ^= op.m2;
      sigma[k] = v;
      inv[v] = k;
    }
    out.push({ kind: K.cnotRun, m1: 0, m2: 0, slot: -1, slot2: -1, slot3: -1, gather: inv, undo: sigma });
    i = j;
  }
  return out;
}

let scratchRe = new Float64Array(0);
let scratchIm = new Float64Array(0);

/** out[j] = in[g[j]] in place, through a shared scratch buffer. */
function gatherInPlace(re: Float64Array, im: Float64Array, dim: number, g: Int32Array): void {
  if (scratchRe.length < dim) {
    scratchRe = new Float64Array(dim);
    scratchIm = new Float64Array(dim);
  }
  const tr = scratchRe;
  const ti = scratchIm;
  for (let j = 0; j < dim; j++) {
    const k = g[j] as number;
    tr[j] = re[k] as number;
    ti[j] = im[k] as number;
  }
  re.set(tr.subarray(0, dim));
  im.set(ti.subarray(0, dim));
}

function popParity(x: number): boolean {
  return parity(x) === 1;
}

/** Up to this many Z-strings are summed directly; more go through one Walsh–Hadamard transform. */
const DIRECT_OBSERVABLES = 2;

/**
 * ⟨Z-string m_j⟩ of the state whose amplitude k is (re[reAt + stride·k], im[imAt + stride·k]),
 * into out[at + j]. Many Z-strings at once: the probabilities' Walsh–Hadamard transform at m_j.
 */
function zExpectations(
  re: Float64Array,
  im: Float64Array,
  stride: number,
  reAt: number,
  imAt: number,
  dim: number,
  masks: number[],
  wht: Float64Array,
  out: Float64Array,
  at: number,
): void {
  if (masks.length <= DIRECT_OBSERVABLES) {
    for (let j = 0; j < masks.length; j++) {
      const m = masks[j] as number;
      let s = 0;
      for (let k = 0; k < dim; k++) {
        const p = (re[reAt + stride * k] as number) ** 2 + (im[imAt + stride * k] as number) ** 2;
        s += popParity(k & m) ? -p : p;
      }
      out[at + j] = s;
    }
    return;
  }
  for (let k = 0; k < dim; k++)
    wht[k] = (re[reAt + stride * k] as number) ** 2 + (im[imAt + stride * k] as number) ** 2;
  walshHadamard(wht);
  for (let j = 0; j < masks.length; j++) out[at + j] = wht[masks[j] as number] as number;
}

/** The diagonal of Σ_j c_j Z-string(m_j), into (and returned as) `wht`. */
function zDiagonal(masks: number[], cot: Float64Array, wht: Float64Array): Float64Array {
  const dim = wht.length;
  if (masks.length <= DIRECT_OBSERVABLES) {
    for (let k = 0; k < dim; k++) {
      let d = 0;
      for (let j = 0; j < masks.length; j++)
        d += popParity(k & (masks[j] as number)) ? -(cot[j] as number) : (cot[j] as number);
      wht[k] = d;
    }
    return wht;
  }
  wht.fill(0);
  for (let j = 0; j < masks.length; j++)
    wht[masks[j] as number] = (wht[masks[j] as number] as number) + (cot[j] as number);
  walshHadamard(wht);
  return wht;
}

/** Applies one compiled gate with angle θ (ignored for fixed gates) in place. */
function applyGate(re: Float64Array, im: Float64Array, dim: number, op: Compiled, theta: number): void {
  const { m1, m2 } = op;
  switch (op.kind) {
    case K.h:
      for (let base = 0; base < dim; base += 2 * m1) {
        for (let k = base; k < base + m1; k++) {
          const j = k | m1;
          const ar = re[k] as number;
          const ai = im[k] as number;
          const br = re[j] as number;
          const bi = im[j] as number;
          re[k] = (ar + br) * SQRT1_2;
          im[k] = (ai + bi) * SQRT1_2;
          re[j] = (ar - br) * SQRT1_2;
          im[j] = (ai - bi) * SQRT1_2;
        }
      }
      return;
    case K.cnot:
      for (let k = 0; k < dim; k++) {
        if (!(k & m1) || k & m2) continue;
        const j = k | m2;
        const tr = re[k] as number;
        const ti = im[k] as number;
        re[k] = re[j] as number;
        im[k] = im[j] as number;
        re[j] = tr;
        im[j] = ti;
      }
      return;
    case K.cnotRun:
      gatherInPlace(re, im, dim, op.gather as Int32Array);
      return;
    case K.czRun: {
      const flip = op.flip as Int32Array;
      for (let i = 0; i < flip.length; i++) {
        const k = flip[i] as number;
        re[k] = -(re[k] as number);
        im[k] = -(im[k] as number);
      }
      return;
    }
    case K.cz: {
      const both = m1 | m2;
      for (let k = 0; k < dim; k++) {
        if ((k & both) === both) {
          re[k] = -(re[k] as number);
          im[k] = -(im[k] as number);
        }
      }
      return;
    }
    case K.rx: {
      const c = Math.cos(theta / 2);
      const s = Math.sin(theta / 2);
      for (let base = 0; base < dim; base += 2 * m1) {
        for (let k = base; k < base + m1; k++) {
          const j = k | m1;
          const ar = re[k] as number;
          const ai = im[k] as number;
          const br = re[j] as number;
          const bi = im[j] as number;
          re[k] = c * ar + s * bi;
          im[k] = c * ai - s * br;
          re[j] = s * ai + c * br;
          im[j] = -s * ar + c * bi;
        }
      }
      return;
    }
    case K.ry: {
      const c = Math.cos(theta / 2);
      const s = Math.sin(theta / 2);
      for (let base = 0; base < dim; base += 2 * m1) {
        for (let k = base; k < base + m1; k++) {
          const j = k | m1;
          const ar = re[k] as number;
          const ai = im[k] as number;
          const br = re[j] as number;
          const bi = im[j] as number;
          re[k] = c * ar - s * br;
          im[k] = c * ai - s * bi;
          re[j] = s * ar + c * br;
          im[j] = s * ai + c * bi;
        }
      }
      return;
    }
    case K.rz:
    case K.zz: {
      const c = Math.cos(theta / 2);
      const s = Math.sin(theta / 2);
      for (let k = 0; k < dim; k++) {
        // eigenvalue +1 → e^{−iθ/2}, −1 → e^{+iθ/2}
        const sg = ((k & m1) === 0) !== ((k & m2) === 0) ? s : -s;
        const ar = re[k] as number;
        const ai = im[k] as number;
        re[k] = c * ar - sg * ai;
        im[k] = c * ai + sg * ar;
      }
      return;
    }
    default: {
      // XX or YY: ψ_k ← c ψ_k − i s σ_k ψ_{k⊕M}, σ = 1 (XX) or −1 when the two bits are equal (YY).
      const c = Math.cos(theta / 2);
      const s = Math.sin(theta / 2);
      const mask = m1 | m2;
      const yy = op.kind === K.yy;
      for (let k = 0; k < dim; k++) {
        const j = k ^ mask;
        if (j < k) continue;
        const sk = yy && !popParity(k & mask) ? -s : s;
        const sj = yy && !popParity(j & mask) ? -s : s;
        const ar = re[k] as number;
        const ai = im[k] as number;
        const br = re[j] as number;
        const bi = im[j] as number;
        re[k] = c * ar + sk * bi;
        im[k] = c * ai - sk * br;
        re[j] = c * br + sj * ai;
        im[j] = c * bi - sj * ar;
      }
    }
  }
}

/** Im⟨λ|P|φ⟩ for the generator P of a rotation gate. */
function generatorOverlap(
  lre: Float64Array,
  lim: Float64Array,
  re: Float64Array,
  im: Float64Array,
  dim: number,
  op: Compiled,
): number {
  const { m1, m2 } = op;
  let s = 0;
  switch (op.kind) {
    case K.rz:
    case K.zz: {
      for (let k = 0; k < dim; k++) {
        const v = (lre[k] as number) * (im[k] as number) - (lim[k] as number) * (re[k] as number);
        s += ((k & m1) === 0) !== ((k & m2) === 0) ? -v : v;
      }
      return s;
    }
    case K.rx:
    case K.xx: {
      const mask = m1 | m2;
      for (let k = 0; k < dim; k++) {
        const j = k ^ mask;
        s += (lre[k] as number) * (im[j] as number) - (lim[k] as number) * (re[j] as number);
      }
      return s;
    }
    case K.ry:
      // (Yφ)_k = iσ_k φ_{k⊕m}, σ = +1 if bit set else −1.
      for (let k = 0; k < dim; k++) {
        const j = k ^ m1;
        const sg = k & m1 ? 1 : -1;
        const pr = -sg * (im[j] as number);
        const pi = sg * (re[j] as number);
        s += (lre[k] as number) * pi - (lim[k] as number) * pr;
      }
      return s;
    case K.yy: {
      const mask = m1 | m2;
      for (let k = 0; k < dim; k++) {
        const j = k ^ mask;
        const sg = popParity(k & mask) ? 1 : -1;
        s += sg * ((lre[k] as number) * (im[j] as number) - (lim[k] as number) * (re[j] as number));
      }
      return s;
    }
    default:
      return 0;
  }
}

/** Applies a 2×2 complex matrix to the wire with bit mask m. */
function applyU(re: Float64Array, im: Float64Array, dim: number, m: number, u: Float64Array): void {
  const [a0, a1, b0, b1, c0, c1, d0, d1] = u as unknown as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  for (let base = 0; base < dim; base += 2 * m) {
    for (let k = base; k < base + m; k++) {
      const j = k + m;
      const xr = re[k] as number;
      const xi = im[k] as number;
      const yr = re[j] as number;
      const yi = im[j] as number;
      re[k] = a0 * xr - a1 * xi + b0 * yr - b1 * yi;
      im[k] = a0 * xi + a1 * xr + b0 * yi + b1 * yr;
      re[j] = c0 * xr - c1 * xi + d0 * yr - d1 * yi;
      im[j] = c0 * xi + c1 * xr + d0 * yi + d1 * yr;
    }
  }
}

/**
 * Groups single-qubit gates into one chain per wire: a gate joins the open chain of its wire
 * (placed where that chain's first gate was; it only moves past gates on other wires, which
 * commute with it); a multi-qubit gate closes the chains of its wires.
 */
function fuseSingleQubitChains(ops: Compiled[]): Compiled[] {
  const out: Array<Compiled | { m1: number; kinds: number[]; slots: number[] }> = [];
  const open = new Map<number, { m1: number; kinds: number[]; slots: number[] }>();
  const elementary: Record<number, number> = { [K.h]: 0, [K.rx]: 1, [K.ry]: 2, [K.rz]: 3 };
  for (const op of ops) {
    const single = op.kind === K.rot || op.kind in elementary;
    if (!single) {
      for (const m of [op.m1, op.m2]) if (m) open.delete(m);
      out.push(op);
      continue;
    }
    let ch = open.get(op.m1);
    if (!ch) {
      ch = { m1: op.m1, kinds: [], slots: [] };
      open.set(op.m1, ch);
      out.push(ch);
    }
    if (op.kind === K.rot) {
      ch.kinds.push(3, 2, 3);
      ch.slots.push(op.slot, op.slot2, op.slot3);
    } else {
      ch.kinds.push(elementary[op.kind] as number);
      ch.slots.push(op.slot);
    }
  }
  return out.map((o) =>
    'kind' in o
      ? o
      : {
          kind: K.chain,
          m1: o.m1,
          m2: 0,
          slot: -1,
          slot2: -1,
          slot3: -1,
          chainKinds: Int8Array.from(o.kinds),
          chainSlots: Int32Array.from(o.slots),
        },
  );
}

/** The 2×2 complex (interleaved re, im; row-major) of one elementary gate. */
function elementaryInto(kind: number, t: number, g: Float64Array): void {
  const c = Math.cos(t / 2);
  const s = Math.sin(t / 2);
  g.fill(0);
  switch (kind) {
    case 0:
      g[0] = SQRT1_2;
      g[2] = SQRT1_2;
      g[4] = SQRT1_2;
      g[6] = -SQRT1_2;
      return;
    case 1: // RX = [[c, −is], [−is, c]]
      g[0] = c;
      g[3] = -s;
      g[5] = -s;
      g[6] = c;
      return;
    case 2: // RY = [[c, −s], [s, c]]
      g[0] = c;
      g[2] = -s;
      g[4] = s;
      g[6] = c;
      return;
    default: // RZ = diag(e^(−it/2), e^(it/2))
      g[0] = c;
      g[1] = -s;
      g[6] = c;
      g[7] = s;
  }
}

/** out = a·b for 2×2 complex matrices (out may alias a or b). */
function mulInto(a: Float64Array, b: Float64Array, out: Float64Array): void {
  const r00 =
    (a[0] as number) * (b[0] as number) -
    (a[1] as number) * (b[1] as number) +
    (a[2] as number) * (b[4] as number) -
    (a[3] as number) * (b[5] as number);
  const i00 =
    (a[0] as number) * (b[1] as number) +
    (a[1] as number) * (b[0] as number) +
    (a[2] as number) * (b[5] as number) +
    (a[3] as number) * (b[4] as number);
  const r01 =
    (a[0] as number) * (b[2] as number) -
    (a[1] as number) * (b[3] as number) +
    (a[2] as number) * (b[6] as number) -
    (a[3] as number) * (b[7] as number);
  const i01 =
    (a[0] as number) * (b[3] as number) +
    (a[1] as number) * (b[2] as number) +
    (a[2] as number) * (b[7] as number) +
    (a[3] as number) * (b[6] as number);
  const r10 =
    (a[4] as number) * (b[0] as number) -
    (a[5] as number) * (b[1] as number) +
    (a[6] as number) * (b[4] as number) -
    (a[7] as number) * (b[5] as number);
  const i10 =
    (a[4] as number) * (b[1] as number) +
    (a[5] as number) * (b[0] as number) +
    (a[6] as number) * (b[5] as number) +
    (a[7] as number) * (b[4] as number);
  const r11 =
    (a[4] as number) * (b[2] as number) -
    (a[5] as number) * (b[3] as number) +
    (a[6] as number) * (b[6] as number) -
    (a[7] as number) * (b[7] as number);
  const i11 =
    (a[4] as number) * (b[3] as number) +
    (a[5] as number) * (b[2] as number) +
    (a[6] as number) * (b[7] as number) +
    (a[7] as number) * (b[6] as number);
  out[0] = r00;
  out[1] = i00;
  out[2] = r01;
  out[3] = i01;
  out[4] = r10;
  out[5] = i10;
  out[6] = r11;
  out[7] = i11;
}

function daggerInto(a: Float64Array, out: Float64Array): void {
  const r01 = a[2] as number;
  const i01 = a[3] as number;
  out[0] = a[0] as number;
  out[1] = -(a[1] as number);
  out[2] = a[4] as number;
  out[3] = -(a[5] as number);
  out[4] = r01;
  out[5] = -i01;
  out[6] = a[6] as number;
  out[7] = -(a[7] as number);
}

const chainG = new Float64Array(8);
const chainV = new Float64Array(8);
const chainT = new Float64Array(8);
const chainVd = new Float64Array(8);
const PAULI: Float64Array[] = [
  new Float64Array(8), // h: no generator
  Float64Array.of(0, 0, 1, 0, 1, 0, 0, 0), // X
  Float64Array.of(0, 0, 0, -1, 0, 1, 0, 0), // Y
  Float64Array.of(1, 0, 0, 0, 0, 0, -1, 0), // Z
];

/** A chain that is one Rot(φ, θ, ω) = RZ(ω)·RY(θ)·RZ(φ): closed forms instead of products. */
function isRotChain(kinds: Int8Array, slots: Int32Array): boolean {
  return (
    kinds.length === 3 &&
    kinds[0] === 3 &&
    kinds[1] === 2 &&
    kinds[2] === 3 &&
    (slots[0] as number) >= 0 &&
    (slots[1] as number) >= 0 &&
    (slots[2] as number) >= 0
  );
}

/** U = G_k ⋯ G_1 of a chain, into u. */
function chainMatrix(op: Compiled, angles: Float64Array, base: number, u: Float64Array): void {
  const kinds = op.chainKinds as Int8Array;
  const slots = op.chainSlots as Int32Array;
  if (isRotChain(kinds, slots)) {
    const phi = angles[base + (slots[0] as number)] as number;
    rotMatrix(phi, angles[base + (slots[1] as number)] as number, angles[base + (slots[2] as number)] as number, u);
    return;
  }
  u.fill(0);
  u[0] = 1;
  u[6] = 1;
  for (let e = 0; e < kinds.length; e++) {
    const sl = slots[e] as number;
    elementaryInto(kinds[e] as number, sl >= 0 ? (angles[base + sl] as number) : 0, chainG);
    mulInto(chainG, u, u);
  }
}

/**
 * Adds the gradient of every angle in a chain given the cross matrix `cm` of λ and ψ (the state
 * after the chain), C_ab = Σ conj(λ_a) ψ_b over the wire's amplitude pairs, the gradient of element j
 * is Im Σ_ab A_ab C_ab = Im⟨λ|A|ψ⟩ with A = V P_j V†, V the chain's gates after j. One pass over
 * the state whatever the chain's length. Leaves the chain's U in `u`.
 */
function chainGradients(
  cm: Float64Array,
  op: Compiled,
  angles: Float64Array,
  base: number,
  grads: Float64Array,
  u: Float64Array,
): void {
  const c00r = cm[0] as number;
  const c00i = cm[1] as number;
  const c01r = cm[2] as number;
  const c01i = cm[3] as number;
  const c10r = cm[4] as number;
  const c10i = cm[5] as number;
  const c11r = cm[6] as number;
  const c11i = cm[7] as number;
  const kinds = op.chainKinds as Int8Array;
  const slots = op.chainSlots as Int32Array;
  if (isRotChain(kinds, slots)) {
    const th = angles[base + (slots[1] as number)] as number;
    const om = angles[base + (slots[2] as number)] as number;
    rotGradients(
      cm,
      th,
      om,
      grads,
      base + (slots[0] as number),
      base + (slots[1] as number),
      base + (slots[2] as number),
    );
    rotMatrix(angles[base + (slots[0] as number)] as number, th, om, u);
    return;
  }
  chainV.fill(0);
  chainV[0] = 1;
  chainV[6] = 1;
  for (let e = kinds.length - 1; e >= 0; e--) {
    const kind = kinds[e] as number;
    const sl = slots[e] as number;
    if (sl >= 0) {
      mulInto(chainV, PAULI[kind] as Float64Array, chainT);
      daggerInto(chainV, chainVd);
      mulInto(chainT, chainVd, chainT);
      const a = chainT;
      const g =
        (a[0] as number) * c00i +
        (a[1] as number) * c00r +
        (a[2] as number) * c01i +
        (a[3] as number) * c01r +
        (a[4] as number) * c10i +
        (a[5] as number) * c10r +
        (a[6] as number) * c11i +
        (a[7] as number) * c11r;
      grads[base + sl] = (grads[base + sl] as number) + g;
    }
    elementaryInto(kind, sl >= 0 ? (angles[base + sl] as number) : 0, chainG);
    mulInto(chainV, chainG, chainV);
  }
  u.set(chainV);
}

/**
 * Rot(φ, θ, ω) as [u00, u01, u10, u11] complex (re, im interleaved):
 * [[e^(−i(φ+ω)/2) c, −e^(i(φ−ω)/2) s], [e^(−i(φ−ω)/2) s, e^(i(φ+ω)/2) c]].
 */
function rotMatrix(phi: number, theta: number, omega: number, u: Float64Array): void {
  const c = Math.cos(theta / 2);
  const s = Math.sin(theta / 2);
  const a = (phi + omega) / 2;
  const d = (phi - omega) / 2;
  const ca = Math.cos(a);
  const sa = Math.sin(a);
  const cd = Math.cos(d);
  const sd = Math.sin(d);
  u[0] = ca * c;
  u[1] = -sa * c;
  u[2] = -cd * s;
  u[3] = -sd * s;
  u[4] = cd * s;
  u[5] = -sd * s;
  u[6] = ca * c;
  u[7] = sa * c;
}

/**
 * Adds ∂/∂φ, ∂/∂θ, ∂/∂ω of Rot(φ, θ, ω) (∂/∂φ does not depend on φ) given the cross matrix
 * C_ab = Σ conj(λ_a) ψ_b over amplitude pairs of the wire (ψ the state after the gate): each is
 * Im Σ_ab A_ab C_ab = Im⟨λ|A|ψ⟩ for the generator A of that angle moved to the gate's output.
 */
function rotGradients(
  cm: Float64Array,
  theta: number,
  omega: number,
  grads: Float64Array,
  gPhi: number,
  gTheta: number,
  gOmega: number,
): void {
  // C_ab real/imag, a = λ component, b = ψ component.
  const c00i = cm[1] as number;
  const c01r = cm[2] as number;
  const c01i = cm[3] as number;
  const c10r = cm[4] as number;
  const c10i = cm[5] as number;
  const c11i = cm[7] as number;
  // A_ω = Z; A_θ = RZ(ω)·Y·RZ(ω)† = [[0, −i e^(−iω)], [i e^(iω), 0]];
  // A_φ = RZ(ω)RY(θ)·Z·(RZ(ω)RY(θ))† = [[cos θ, sin θ e^(−iω)], [sin θ e^(iω), −cos θ]].
  const cw = Math.cos(omega);
  const sw = Math.sin(omega);
  const ct = Math.cos(theta);
  const st = Math.sin(theta);
  grads[gOmega] = (grads[gOmega] as number) + c00i - c11i;
  grads[gTheta] = (grads[gTheta] as number) - sw * (c01i + c10i) + cw * (c10r - c01r);
  grads[gPhi] = (grads[gPhi] as number) + ct * (c00i - c11i) + st * (cw * (c01i + c10i) + sw * (c10r - c01r));
}

const cross = new Float64Array(8);

/** C_ab = Σ conj(λ_a) ψ_b over the amplitude pairs (a, b ∈ {0, 1}) of the wire with bit mask m. */
function crossMatrix(
  lre: Float64Array,
  lim: Float64Array,
  re: Float64Array,
  im: Float64Array,
  dim: number,
  m: number,
): Float64Array {
  let c00r = 0;
  let c00i = 0;
  let c01r = 0;
  let c01i = 0;
  let c10r = 0;
  let c10i = 0;
  let c11r = 0;
  let c11i = 0;
  for (let b0 = 0; b0 < dim; b0 += 2 * m) {
    for (let k = b0; k < b0 + m; k++) {
      const j = k + m;
      const l0r = lre[k] as number;
      const l0i = lim[k] as number;
      const l1r = lre[j] as number;
      const l1i = lim[j] as number;
      const p0r = re[k] as number;
      const p0i = im[k] as number;
      const p1r = re[j] as number;
      const p1i = im[j] as number;
      c00r += l0r * p0r + l0i * p0i;
      c00i += l0r * p0i - l0i * p0r;
      c01r += l0r * p1r + l0i * p1i;
      c01i += l0r * p1i - l0i * p1r;
      c10r += l1r * p0r + l1i * p0i;
      c10i += l1r * p0i - l1i * p0r;
      c11r += l1r * p1r + l1i * p1i;
      c11i += l1r * p1i - l1i * p1r;
    }
  }
  cross[0] = c00r;
  cross[1] = c00i;
  cross[2] = c01r;
  cross[3] = c01i;
  cross[4] = c10r;
  cross[5] = c10i;
  cross[6] = c11r;
  cross[7] = c11i;
  return cross;
}

/** {@link applyU} on two states in one sweep (the adjoint step undoes a gate on ψ and λ). */
function applyU2(
  re: Float64Array,
  im: Float64Array,
  lre: Float64Array,
  lim: Float64Array,
  dim: number,
  m: number,
  u: Float64Array,
): void {
  const a0 = u[0] as number;
  const a1 = u[1] as number;
  const b0 = u[2] as number;
  const b1 = u[3] as number;
  const c0 = u[4] as number;
  const c1 = u[5] as number;
  const d0 = u[6] as number;
  const d1 = u[7] as number;
  for (let base = 0; base < dim; base += 2 * m) {
    for (let k = base; k < base + m; k++) {
      const j = k + m;
      let xr = re[k] as number;
      let xi = im[k] as number;
      let yr = re[j] as number;
      let yi = im[j] as number;
      re[k] = a0 * xr - a1 * xi + b0 * yr - b1 * yi;
      im[k] = a0 * xi + a1 * xr + b0 * yi + b1 * yr;
      re[j] = c0 * xr - c1 * xi + d0 * yr - d1 * yi;
      im[j] = c0 * xi + c1 * xr + d0 * yi + d1 * yr;
      xr = lre[k] as number;
      xi = lim[k] as number;
      yr = lre[j] as number;
      yi = lim[j] as number;
      lre[k] = a0 * xr - a1 * xi + b0 * yr - b1 * yi;
      lim[k] = a0 * xi + a1 * xr + b0 * yi + b1 * yr;
      lre[j] = c0 * xr - c1 * xi + d0 * yr - d1 * yi;
      lim[j] = c0 * xi + c1 * xr + d0 * yi + d1 * yr;
    }
  }
}

// ————————————————————————————————————————— SIMD path (batched-kernels.wat)

/** The WebAssembly JS API used here (typed locally: Node's types do not declare it). */
interface BatchedWasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer; grow(pages: number): number };
  Instance: new (module: object, imports: object) => { exports: unknown };
}

interface BatchedKernels {
  u1(re: number, im: number, ore: number, oim: number, dim: number, m: number, mat: number): void;
  crossr(lre: number, lim: number, re: number, im: number, dim: number, m: number, out: number): void;
  gathero(re: number, im: number, list: number, dim: number, ore: number, oim: number): void;
  copy(dst: number, src: number, bytes: number): void;
  adj(lre: number, lim: number, re: number, im: number, dim: number, m: number, mat: number, out: number): void;
  wht(x: number, dim: number): void;
  probs(re: number, im: number, dst: number, dim: number): void;
  diag(d: number, re: number, im: number, lre: number, lim: number, dim: number): void;
  put(sre: number, sim: number, re: number, im: number, dim: number, lane: number): void;
  flip(re: number, im: number, list: number, n: number): void;
  gather(re: number, im: number, list: number, dim: number, tmp: number): void;
}

let batchedModule: object | null | undefined;

/** The compiled batched kernels, or undefined where WebAssembly SIMD is missing. */
function batchedKernels(): object | undefined {
  if (batchedModule === undefined) {
    try {
      const api = (globalThis as unknown as { WebAssembly?: BatchedWasmApi }).WebAssembly;
      if (!api) throw new Error('no WebAssembly');
      batchedModule = new api.Module(Buffer.from(BATCHED_KERNELS_WASM_BASE64, 'base64'));
    } catch {
      batchedModule = null; // no WebAssembly SIMD here: the JavaScript path does the work
    }
  }
  return batchedModule ?? undefined;
}

/** One step of the SIMD path: a single-qubit chain, a CZ run (flip list) or a CNOT run (gather). */
type SimdOp =
  | { readonly t: 0; readonly op: Compiled }
  | { readonly t: 1; readonly list: number; readonly n: number }
  | { readonly t: 2; readonly gather: number; readonly undo: number };

const PAGE = 65536;

/** Where one pair of samples stands: its angles, first sample, live lanes, and the kept states. */
interface PairAt {
  readonly angles: Float64Array;
  readonly b0: number;
  readonly lanes: number;
  /** Angle slots per sample. */
  readonly na: number;
  /** Byte offset of the kept states (ψ after op g at snap + 32·2^n·g). */
  readonly snap: number;
}

/**
 * Two samples per pass: lane l of every v128 is sample b + l. Owns a WebAssembly memory with the
 * pair's ψ and λ (real and imaginary blocks), a scratch block, the per-lane gate matrix, the
 * cross-matrix output and the plans' index lists.
 */
class SimdEngine {
  private readonly k: BatchedKernels;
  private readonly memory: { buffer: ArrayBuffer; grow(pages: number): number };
  private f64: Float64Array;
  private readonly psiRe: number;
  private readonly psiIm: number;
  private readonly lamRe: number;
  private readonly lamIm: number;
  private readonly tmp: number;
  /** One sample's state as a StatePreparation writes it (dim f64 each). */
  private readonly sre: number;
  private readonly sim: number;
  private prepRe: Float64Array;
  private prepIm: Float64Array;
  private readonly mat: number;
  private readonly out: number;
  private top: number;
  private readonly u = new Float64Array(8);
  private readonly w = new Float64Array(8);
  private readonly cm = new Float64Array(8);

  constructor(
    private readonly dim: number,
    private readonly keptStateBytes: number,
  ) {
    const api = (globalThis as unknown as { WebAssembly: BatchedWasmApi }).WebAssembly;
    const block = 16 * dim;
    this.psiRe = 0;
    this.psiIm = block;
    this.lamRe = 2 * block;
    this.lamIm = 3 * block;
    this.tmp = 4 * block;
    this.sre = 5 * block;
    this.sim = this.sre + 8 * dim;
    this.mat = this.sim + 8 * dim;
    this.out = this.mat + 128;
    this.top = this.out + 128;
    this.memory = new api.Memory({ initial: Math.ceil(this.top / PAGE) });
    this.k = new api.Instance(batchedKernels() as object, { env: { memory: this.memory } }).exports as BatchedKernels;
    this.f64 = new Float64Array(this.memory.buffer);
    this.prepRe = new Float64Array(this.memory.buffer, this.sre, dim);
    this.prepIm = new Float64Array(this.memory.buffer, this.sim, dim);
  }

  /** Writes an i32 list into the memory and returns its byte offset. */
  private list(values: ArrayLike<number>): number {
    const at = this.top;
    const end = at + 4 * values.length;
    this.reserve(end);
    new Int32Array(this.memory.buffer, at, values.length).set(values);
    this.top = end + ((16 - (end % 16)) % 16);
    return at;
  }

  /** Fuses ops for the SIMD path (every single-qubit gate in a chain; single CZs and CNOTs as runs). */
  compile(ops: Compiled[]): SimdOp[] {
    const fused = fuseCnotRuns(fuseCzRuns(fuseSingleQubitChains(ops), this.dim, 1), this.dim, 1);
    const bytes = (a: Int32Array) => a.map((v) => 16 * v);
    return fused.map((op): SimdOp => {
      if (op.kind === K.chain) return { t: 0, op };
      if (op.kind === K.czRun) {
        const flip = op.flip as Int32Array;
        return { t: 1, list: this.list(bytes(flip)), n: flip.length };
      }
      if (op.kind === K.cnotRun) {
        return {
          t: 2,
          gather: this.list(bytes(op.gather as Int32Array)),
          undo: this.list(bytes(op.undo as Int32Array)),
        };
      }
      throw new Error(`internal: gate kind ${op.kind} has no SIMD kernel`);
    });
  }

  /** Packs lane l's 2×2 matrix `u` into the per-lane matrix block. */
  private pack(u: Float64Array, lane: number): void {
    const f = this.f64;
    const at = this.mat / 8 + lane;
    for (let i = 0; i < 8; i++) f[at + 2 * i] = u[i] as number;
  }

  private apply(op: SimdOp, re: number, im: number, backward: boolean): void {
    const { k, dim } = this;
    if (op.t === 0) k.u1(re, im, re, im, dim, op.op.m1, this.mat);
    else if (op.t === 1) k.flip(re, im, op.list, op.n);
    else k.gather(re, im, backward ? op.undo : op.gather, dim, this.tmp);
  }

  private reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    this.memory.grow(Math.ceil((bytes - have) / PAGE));
    this.f64 = new Float64Array(this.memory.buffer);
    this.prepRe = new Float64Array(this.memory.buffer, this.sre, this.dim);
    this.prepIm = new Float64Array(this.memory.buffer, this.sim, this.dim);
  }

  /** Z-string values from the probabilities in `tmp` (transformed in place). */
  private readValues(masks: number[], b0: number, lanes: number, values: Float64Array): void {
    this.k.wht(this.tmp, this.dim);
    const f = this.f64;
    const t = this.tmp / 8;
    const nObs = masks.length;
    for (let l = 0; l < lanes; l++)
      for (let j = 0; j < nObs; j++) values[(b0 + l) * nObs + j] = f[t + 2 * (masks[j] as number) + l] as number;
  }

  /** λ = (Σ_j c_j Z_j) ψ per lane, ψ the pair state at `psi`: the diagonal is the transform of the c_j placed at m_j. */
  private seedLambda(
    masks: number[],
    b0: number,
    lanes: number,
    values: Float64Array,
    cotangent: BatchedGradientParams['cotangent'],
    cot: Float64Array,
    psi: number,
  ): void {
    const f = this.f64;
    const t = this.tmp / 8;
    const nObs = masks.length;
    f.fill(0, t, t + 2 * this.dim);
    for (let l = 0; l < lanes; l++) {
      const b = b0 + l;
      cot.fill(0);
      cotangent(b, values.subarray(b * nObs, (b + 1) * nObs), cot);
      for (let j = 0; j < nObs; j++) {
        const at = t + 2 * (masks[j] as number) + l;
        f[at] = (f[at] as number) + (cot[j] as number);
      }
    }
    this.k.wht(this.tmp, this.dim);
    this.k.diag(this.tmp, psi, psi + 16 * this.dim, this.lamRe, this.lamIm, this.dim);
  }

  /** Forward sweep writing ψ after op g into snapshot g + 1; returns the last snapshot's offset. */
  private forwardKept(ops: SimdOp[], at: PairAt): number {
    const { angles, b0, lanes, na, snap } = at;
    const { k, dim, u } = this;
    const pair = 32 * dim;
    const half = 16 * dim;
    for (let g = 0; g < ops.length; g++) {
      const op = ops[g] as SimdOp;
      const src = snap + g * pair;
      const dst = src + pair;
      if (op.t === 0) {
        for (let l = 0; l < 2; l++) {
          chainMatrix(op.op, angles, (b0 + Math.min(l, lanes - 1)) * na, u);
          this.pack(u, l);
        }
        k.u1(src, src + half, dst, dst + half, dim, op.op.m1, this.mat);
      } else if (op.t === 1) {
        k.copy(dst, src, pair);
        k.flip(dst, dst + half, op.list, op.n);
      } else k.gathero(src, src + half, op.gather, dim, dst, dst + half);
    }
    return snap + ops.length * pair;
  }

  /** Backward sweep on λ alone, reading ψ from the snapshots. */
  private backwardKept(ops: SimdOp[], at: PairAt, grads: Float64Array): void {
    const { angles, b0, lanes, na, snap } = at;
    const { k, dim, u, w, cm } = this;
    const f = this.f64;
    const o = this.out / 8;
    const pair = 32 * dim;
    for (let g = ops.length - 1; g >= 0; g--) {
      const op = ops[g] as SimdOp;
      if (op.t !== 0) {
        if (g > 0) this.apply(op, this.lamRe, this.lamIm, true);
        continue;
      }
      const after = snap + (g + 1) * pair;
      k.crossr(this.lamRe, this.lamIm, after, after + pair / 2, dim, op.op.m1, this.out);
      for (let l = 0; l < 2; l++) {
        const base = (b0 + Math.min(l, lanes - 1)) * na;
        if (l < lanes) {
          // The reduced cross matrix (see adj in batched-kernels.wat).
          cm[1] = f[o + l] as number;
          for (let i = 2; i < 6; i++) cm[i] = f[o + 2 * (i - 1) + l] as number;
          chainGradients(cm, op.op, angles, base, grads, u);
        } else chainMatrix(op.op, angles, base, u);
        daggerInto(u, w);
        this.pack(w, l);
      }
      // λ before the first op is never read.
      if (g > 0) k.u1(this.lamRe, this.lamIm, this.lamRe, this.lamIm, dim, op.op.m1, this.mat);
    }
  }

  /** Values (and, with `grads`, adjoint gradients) of every sample, two at a time. */
  run(
    c: BatchedCircuit,
    ops: SimdOp[],
    masks: number[],
    p: BatchedExpectationParams | BatchedGradientParams,
    values: Float64Array,
    grads?: Float64Array,
  ): void {
    const { dim, k, u, w, cm } = this;
    const na = c.numAngles;
    const nObs = masks.length;
    const angles = p.angles;
    const cotangent = grads ? (p as BatchedGradientParams).cotangent : undefined;
    const cot = new Float64Array(nObs);
    const dummy = new Float64Array(8);
    /** Each chain's U per lane from the forward sweep, reused backward. */
    const us = new Float64Array(ops.length * 16);
    const pr = this.psiRe / 8;
    const o = this.out / 8;
    // Keep ψ after every op (one pair state each) when that fits SNAPSHOT_BYTES: the backward
    // sweep then reads ψ instead of undoing each op on it.
    const pair = 32 * dim;
    const snap = this.top + ((pair - (this.top % pair)) % pair);
    const snapshots = grads !== undefined && (ops.length + 1) * pair <= this.keptStateBytes;
    if (snapshots) this.reserve(snap + (ops.length + 1) * pair);
    for (let b0 = 0; b0 < p.batchSize; b0 += 2) {
      const lanes = Math.min(2, p.batchSize - b0);
      const f = this.f64;
      // Initial states; an odd batch's spare lane repeats the last sample.
      if (p.prepare) {
        for (let l = 0; l < 2; l++) {
          if (l < lanes) p.prepare(b0 + l, this.prepRe, this.prepIm);
          k.put(this.sre, this.sim, this.psiRe, this.psiIm, dim, l);
        }
      } else {
        f.fill(0, pr, pr + 4 * dim);
        f[pr] = 1;
        f[pr + 1] = 1;
      }
      if (snapshots) {
        k.copy(snap, this.psiRe, pair);
        const at: PairAt = { angles, b0, lanes, na, snap };
        const done = this.forwardKept(ops, at);
        k.probs(done, done + pair / 2, this.tmp, dim);
        this.readValues(masks, b0, lanes, values);
        this.seedLambda(masks, b0, lanes, values, cotangent as BatchedGradientParams['cotangent'], cot, done);
        this.backwardKept(ops, at, grads as Float64Array);
        continue;
      }
      for (let g = 0; g < ops.length; g++) {
        const op = ops[g] as SimdOp;
        if (op.t === 0)
          for (let l = 0; l < 2; l++) {
            chainMatrix(op.op, angles, (b0 + Math.min(l, lanes - 1)) * na, u);
            us.set(u, 16 * g + 8 * l);
            this.pack(u, l);
          }
        this.apply(op, this.psiRe, this.psiIm, false);
      }
      k.probs(this.psiRe, this.psiIm, this.tmp, dim);
      this.readValues(masks, b0, lanes, values);
      if (!grads || !cotangent) continue;
      this.seedLambda(masks, b0, lanes, values, cotangent, cot, this.psiRe);
      for (let g = ops.length - 1; g >= 0; g--) {
        const op = ops[g] as SimdOp;
        if (op.t !== 0) {
          this.apply(op, this.psiRe, this.psiIm, true);
          this.apply(op, this.lamRe, this.lamIm, true);
          continue;
        }
        for (let l = 0; l < 2; l++) {
          daggerInto(us.subarray(16 * g + 8 * l, 16 * g + 8 * l + 8), w);
          this.pack(w, l);
        }
        // Cross matrix of ψ (after the chain) and λ, and both undone with U†, in one sweep.
        k.adj(this.lamRe, this.lamIm, this.psiRe, this.psiIm, dim, op.op.m1, this.mat, this.out);
        for (let l = 0; l < lanes; l++) {
          // The reduced cross matrix (see adj in batched-kernels.wat): Re C00 and Re C11 enter
          // no gradient, and Im C00 − Im C11 stands in for Im C00 with Im C11 = 0.
          cm[1] = f[o + l] as number;
          for (let i = 2; i < 6; i++) cm[i] = f[o + 2 * (i - 1) + l] as number;
          chainGradients(cm, op.op, angles, (b0 + l) * na, grads, dummy);
        }
      }
    }
  }
}
