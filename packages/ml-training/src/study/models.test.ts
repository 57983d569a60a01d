import { Circuit, type Observable, type OperationName, pauli } from '@q-store/core';
import { prepareRealState } from '@q-store/core/backend';
import { BatchedCircuit, StateVectorSimulator } from '@q-store/quantum-sim';
import { describe, expect, it } from 'vitest';
import { iqpAngles, iqpClosedFormState, iqpEmbeddingGates, type StoredState } from './circuits.js';
import { fidelityGram, IQPKernelClassifier, ProjectedQuantumKernel, SeparableKernelClassifier } from './kernels.js';
import { parameterGrid, stratifiedKFold } from './protocol.js';
import { LegacyRandomState } from './random-state.js';
import { invalidField, unitRange } from './toy-sets.test-helper.js';
import { StudyAdam, studyConverged, trainStudyLoop } from './train-loop.js';
import {
  CircuitCentricClassifier,
  DataReuploadingClassifier,
  DressedQuantumCircuitClassifier,
  IQPVariationalClassifier,
  iqpStates,
  SeparableVariationalClassifier,
  type StudyVariationalClassifier,
  TreeTensorClassifier,
} from './variational.js';

const sim = new StateVectorSimulator();

/**
 * A hand-built reference in the normal simulator's own convention (qubit 0 = least significant
 * bit): PennyLane wire w is qubit n−1−w, so amplitude indices agree and a Pauli string's
 * character w acts on wire w.
 */
class Ref {
  readonly c: Circuit;
  constructor(readonly n: number) {
    this.c = new Circuit(n);
  }
  q = (w: number) => this.n - 1 - w;
  rot(w: number, a: number, b: number, c: number) {
    this.c.rz(this.q(w), a).ry(this.q(w), b).rz(this.q(w), c);
    return this;
  }
  amplitudes(a: Float64Array) {
    for (const op of prepareRealState(a)) this.c.append(op.gate as OperationName, op.qubits, op.params ?? []);
    return this;
  }
  async values(obs: string[]): Promise<number[]> {
    const observables: Observable[] = obs.map((s) => [pauli(s)]);
    return (await sim.estimate({ circuit: this.c.toJSON(), observables })).values;
  }
}
const zAt = (n: number, ...w: number[]) => Array.from({ length: n }, (_, i) => (w.includes(i) ? 'Z' : 'I')).join('');

const probe = [0.3, -0.7, 0.55, 0.1, -0.25];

describe('study training loop', () => {
  it('Adam takes a first step of −lr·sign(g) and follows the bias-corrected moments', () => {
    const p = Float64Array.of(1, 1);
    const adam = new StudyAdam(2, 0.1);
    adam.step(p, Float64Array.of(2, -0.5));
    expect(p[0]).toBeCloseTo(0.9, 7);
    expect(p[1]).toBeCloseTo(1.1, 7);
  });

  it('stops at the first check (402 recorded losses) on a flat loss, and not before', () => {
    expect(studyConverged(new Array(401).fill(1), 200)).toBe(false);
    expect(studyConverged(new Array(402).fill(1), 200)).toBe(true);
    const r = trainStudyLoop({ params: Float64Array.of(0), numSamples: 3, lossAndGrad: () => 1, learningRate: 0.1 });
    expect(r.converged).toBe(true);
    expect(r.steps).toBe(402);
    // A steadily falling loss does not converge; max steps ends the loop unconverged.
    const falling = trainStudyLoop({
      params: Float64Array.of(0),
      numSamples: 3,
      lossAndGrad: (_p, _b, _g) => 0,
      learningRate: 0.1,
      maxSteps: 10,
    });
    expect(falling.converged).toBe(false);
    const nan = trainStudyLoop({
      params: Float64Array.of(0),
      numSamples: 3,
      lossAndGrad: () => Number.NaN,
      learningRate: 0.1,
    });
    expect([nan.converged, nan.steps]).toEqual([false, 1]);
  });

  it('draws batches uniformly with replacement from the seeded stream', () => {
    const seen: number[] = [];
    trainStudyLoop({
      params: Float64Array.of(0),
      numSamples: 4,
      lossAndGrad: (_p, b) => {
        seen.push(...b);
        return seen.length;
      },
      learningRate: 0.1,
      maxSteps: 50,
      random: 7,
    });
    const r = new LegacyRandomState(7);
    expect(seen.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => r.interval(3)));
    const counts = [0, 1, 2, 3].map((k) => seen.filter((v) => v === k).length);
    expect(Math.min(...counts)).toBeGreaterThan(300);
  });
});

describe('study circuits against a gate-by-gate reference', () => {
  it('DataReuploading: uploads, Rot(θ), CZ double/double_odd, final fused upload, ⟨Z_q⟩', async () => {
    const d = 5;
    const L = 2;
    const m = new DataReuploadingClassifier({ nLayers: L, observableType: 'full', maxSteps: 1 });
    const { x, y } = unitRange(d);
    await m.fit(x, y);
    const p = m.params as Float64Array;
    const n = 2;
    const xs = [...probe.map((v) => (v * Math.PI) / 2), 0];
    const th = (q: number, l: number, k: number) => p[(q * (L + 1) + l) * 3 + k] as number;
    const om = (l: number, f: number) => p[n * (L + 1) * 3 + l * 3 * n + f] as number;
    const r = new Ref(n);
    for (let l = 0; l < L; l++) {
      for (let q = 0; q < n; q++) {
        r.rot(
          q,
          om(l, 3 * q) * (xs[3 * q] as number),
          om(l, 3 * q + 1) * (xs[3 * q + 1] as number),
          om(l, 3 * q + 2) * (xs[3 * q + 2] as number),
        );
        r.rot(q, th(q, l, 0), th(q, l, 1), th(q, l, 2));
      }
      if (l % 2 === 0) r.c.cz(r.q(0), r.q(1));
    }
    for (let q = 0; q < n; q++)
      r.rot(
        q,
        ...([0, 1, 2].map((k) => om(L, 3 * q + k) * (xs[3 * q + k] as number) + th(q, L, k)) as [
          number,
          number,
          number,
        ]),
      );
    const want = await r.values([zAt(n, 0), zAt(n, 1)]);
    const got = m.observe([probe]);
    expect(got[0]).toBeCloseTo(want[0] as number, 10);
    expect(got[1]).toBeCloseTo(want[1] as number, 10);
  });

  it.each(['first-repeat', 'every-repeat'] as const)(
    'IQPVariational (%s): IQPEmbedding (H, RZ, MultiRZ pairs) × repeats, StronglyEntanglingLayers with CZ, ⟨Z0Z1⟩',
    async (iqpEntanglers) => {
      const d = 3;
      const L = 2;
      const m = new IQPVariationalClassifier({ nLayers: L, repeats: 2, maxSteps: 1, iqpEntanglers });
      const { x, y } = unitRange(d);
      await m.fit(x, y);
      const p = m.params as Float64Array;
      const xs = probe.slice(0, d).map((v) => (v * Math.PI) / 2);
      const r = new Ref(d);
      for (let rep = 0; rep < 2; rep++) {
        for (let q = 0; q < d; q++) r.c.h(r.q(q)).rz(r.q(q), xs[q] as number);
        if (rep > 0 && iqpEntanglers === 'first-repeat') continue;
        for (let i = 0; i < d; i++)
          for (let j = i + 1; j < d; j++) r.c.rzz(r.q(i), r.q(j), (xs[i] as number) * (xs[j] as number));
      }
      for (let l = 0; l < L; l++) {
        for (let q = 0; q < d; q++)
          r.rot(q, p[(l * d + q) * 3] as number, p[(l * d + q) * 3 + 1] as number, p[(l * d + q) * 3 + 2] as number);
        const range = (l % (d - 1)) + 1;
        for (let q = 0; q < d; q++) r.c.cz(r.q(q), r.q((q + range) % d));
      }
      const [want] = await r.values([zAt(d, 0, 1)]);
      expect(m.observe([probe.slice(0, d)])[0]).toBeCloseTo(want as number, 10);
    },
  );

  it('DressedQuantumCircuit: (π/2)·tanh(W_in x), H·RY, RY(Θ) layers with CNOT ring, ⟨Z_q⟩', async () => {
    const d = 3;
    const L = 2;
    const m = new DressedQuantumCircuitClassifier({ nLayers: L, maxSteps: 1 });
    // Standardised rows: mean 0, population std 1 per feature for ±1 rows.
    const { x, y } = unitRange(d);
    await m.fit(x, y);
    const p = m.params as Float64Array;
    const xs = probe.slice(0, d);
    const r = new Ref(d);
    for (let q = 0; q < d; q++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (p[L * d + q * d + j] as number) * (xs[j] as number);
      r.c.h(r.q(q)).ry(r.q(q), (Math.PI / 2) * Math.tanh(s));
    }
    for (let l = 0; l < L; l++) {
      for (let q = 0; q < d; q++) r.c.ry(r.q(q), p[l * d + q] as number);
      for (let q = 0; q < d; q++) r.c.cx(r.q(q), r.q((q + 1) % d));
    }
    const want = await r.values([0, 1, 2].map((w) => zAt(d, w)));
    const got = m.observe([xs]);
    for (let q = 0; q < d; q++) expect(got[q]).toBeCloseTo(want[q] as number, 10);
  });

  it('CircuitCentric: padded, normalised x ⊗ x amplitudes, SEL with CNOT; TreeTensor: 2^n padding and the tree', async () => {
    const cc = new CircuitCentricClassifier({ nLayers: 2, nInputCopies: 2, maxSteps: 1 });
    const { x, y } = unitRange(3);
    await cc.fit(x, y);
    const p = cc.params as Float64Array;
    const v = Float64Array.of(0.3, -0.7, 0.55, 0.25);
    const nrm = Math.hypot(...v);
    const one = v.map((a) => a / nrm);
    const amp = new Float64Array(16);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) amp[i * 4 + j] = (one[i] as number) * (one[j] as number);
    const r = new Ref(4).amplitudes(amp);
    for (let l = 0; l < 2; l++) {
      for (let q = 0; q < 4; q++)
        r.rot(q, p[(l * 4 + q) * 3] as number, p[(l * 4 + q) * 3 + 1] as number, p[(l * 4 + q) * 3 + 2] as number);
      for (let q = 0; q < 4; q++) r.c.cx(r.q(q), r.q((q + l + 1) % 4));
    }
    const [want] = await r.values([zAt(4, 0)]);
    expect(cc.observe([[0.3, -0.7, 0.55]])[0]).toBeCloseTo(want as number, 10);

    const tt = new TreeTensorClassifier({ maxSteps: 1 });
    const t5 = unitRange(5);
    await tt.fit(t5.x, t5.y);
    const w = tt.params as Float64Array;
    const a = new Float64Array(16).fill(1 / 16);
    a.set(probe);
    const an = Math.hypot(...a);
    const rt = new Ref(4).amplitudes(a.map((e) => e / an));
    rt.c
      .ry(rt.q(0), w[0] as number)
      .ry(rt.q(1), w[1] as number)
      .ry(rt.q(2), w[2] as number)
      .ry(rt.q(3), w[3] as number);
    rt.c.cx(rt.q(1), rt.q(0)).cx(rt.q(3), rt.q(2));
    rt.c
      .ry(rt.q(0), w[4] as number)
      .ry(rt.q(2), w[5] as number)
      .cx(rt.q(2), rt.q(0))
      .ry(rt.q(0), w[6] as number);
    const [wt] = await rt.values([zAt(4, 0)]);
    expect(tt.observe([probe])[0]).toBeCloseTo(wt as number, 10);
  });

  it('SeparableVariational: per-qubit Rot/RY(x) layers, f = mean ⟨Z_q⟩', async () => {
    const m = new SeparableVariationalClassifier({ encodingLayers: 2, maxSteps: 1 });
    const { x, y } = unitRange(2);
    await m.fit(x, y);
    const p = m.params as Float64Array;
    let f = 0;
    for (let q = 0; q < 2; q++) {
      const r = new Ref(1);
      for (let l = 0; l < 3; l++) {
        r.rot(0, p[(q * 3 + l) * 3] as number, p[(q * 3 + l) * 3 + 1] as number, p[(q * 3 + l) * 3 + 2] as number);
        if (l < 2) r.c.ry(0, ((probe[q] as number) * Math.PI) / 2);
      }
      f += ((await r.values(['Z']))[0] as number) / 2;
    }
    expect(m.observe([probe.slice(0, 2)])[0]).toBeCloseTo(f, 10);
  });

  it.each(['first-repeat', 'every-repeat'] as const)(
    'IQP kernel (%s): fidelity = P(0…0) of U(a) then U(b)† on a hand-built circuit',
    async (iqpEntanglers) => {
      const d = 3;
      const { x, y } = unitRange(d, [[0.2, -0.4, 0.9]]);
      const k = new IQPKernelClassifier({ repeats: 2, iqpEntanglers });
      await k.fit(x, y.slice(0, 2).concat([1]));
      const a = probe.slice(0, d).map((v) => (v * Math.PI) / 2);
      const b = [0.2, -0.4, 0.9].map((v) => (v * Math.PI) / 2);
      const r = new Ref(d);
      const emb = (v: number[], sign: number) => {
        const ops: Array<() => void> = [];
        for (let rep = 0; rep < 2; rep++) {
          for (let q = 0; q < d; q++)
            ops.push(
              () => r.c.h(r.q(q)),
              () => r.c.rz(r.q(q), sign * (v[q] as number)),
            );
          if (rep > 0 && iqpEntanglers === 'first-repeat') continue;
          for (let i = 0; i < d; i++)
            for (let j = i + 1; j < d; j++)
              ops.push(() => r.c.rzz(r.q(i), r.q(j), sign * (v[i] as number) * (v[j] as number)));
        }
        return ops;
      };
      for (const op of emb(a, 1)) op();
      for (const op of emb(b, -1).reverse()) op();
      // P(000) = ⟨(I+Z0)(I+Z1)(I+Z2)⟩/8
      const vals = await r.values(['ZII', 'IZI', 'IIZ', 'ZZI', 'ZIZ', 'IZZ', 'ZZZ']);
      const p000 = (1 + vals.reduce((s, v) => s + v, 0)) / 8;
      expect((k.gramAgainstTraining([probe.slice(0, d)])[0] as Float64Array)[2]).toBeCloseTo(p000, 10);
    },
  );

  it('IQP embedding: the two conventions differ for repeats > 1 and coincide for 1; bad names are typed errors', () => {
    const xs = [Float64Array.from([0.4, -1.2, 0.8])];
    const amp = (s: { re: Float64Array; im: Float64Array }) =>
      Array.from(s.re, (v, k) => [v, s.im[k] as number]).flat();
    const [f2] = iqpStates(xs, 2, 'first-repeat');
    const [e2] = iqpStates(xs, 2, 'every-repeat');
    const diff = amp(f2 as StoredState).map((v, i) => Math.abs(v - (amp(e2 as StoredState)[i] as number)));
    expect(Math.max(...diff)).toBeGreaterThan(0.05);
    const [f1] = iqpStates(xs, 1, 'first-repeat');
    const [e1] = iqpStates(xs, 1, 'every-repeat');
    expect(amp(f1 as StoredState)).toEqual(amp(e1 as StoredState));
    expect(invalidField(() => new IQPKernelClassifier({ iqpEntanglers: 'all' as never }))).toBe('iqpEntanglers');
    expect(invalidField(() => new IQPVariationalClassifier({ iqpEntanglers: 'none' as never }))).toBe('iqpEntanglers');
  });

  it('IQP embedding, one repeat: the closed form e^{−iφ_k}/√2ⁿ equals the gate-list state', () => {
    const x = Float64Array.from([0.3, -1.1, 0.7, 1.4, -0.2]);
    const n = x.length;
    const c = new BatchedCircuit(n, iqpEmbeddingGates(n, 1), { numAngles: n + (n * (n - 1)) / 2 });
    const angles = new Float64Array(c.numAngles);
    iqpAngles(x, angles, 0);
    const cf = iqpClosedFormState(x);
    let seen = 0;
    c.states({ batchSize: 1, angles }, (_b, re, im) => {
      for (let k = 0; k < re.length; k++) {
        expect(cf.re[k]).toBeCloseTo(re[k] as number, 12);
        expect(cf.im[k]).toBeCloseTo(im[k] as number, 12);
      }
      seen = re.length;
    });
    expect(seen).toBe(32);
    // and the formula itself at k = 0b10110 (wires 0, 2, 3 set; z = −1, +1, −1, −1, +1)
    const z = [-1, 1, -1, -1, 1];
    let phi = 0;
    for (let i = 0; i < n; i++) {
      phi += (x[i] as number) * (z[i] as number);
      for (let j = i + 1; j < n; j++) phi += (x[i] as number) * (x[j] as number) * (z[i] as number) * (z[j] as number);
    }
    expect(cf.re[0b10110]).toBeCloseTo(Math.cos(phi / 2) / Math.sqrt(32), 12);
    expect(cf.im[0b10110]).toBeCloseTo(-Math.sin(phi / 2) / Math.sqrt(32), 12);
  });

  it('fidelityGram of a set with itself equals the all-pairs matrix exactly (symmetry used)', () => {
    const xs = [
      [0.1, 0.5, -0.3],
      [1.2, -0.4, 0.2],
      [-0.9, 0.3, 0.8],
    ].map((r) => Float64Array.from(r));
    const st = iqpStates(xs, 2);
    const sym = fidelityGram(st, st);
    const full = fidelityGram(st, [...st]);
    expect(sym.map((r) => Array.from(r))).toEqual(full.map((r) => Array.from(r)));
    expect((sym[0] as Float64Array)[0]).toBeCloseTo(1, 12);
  });

  it('kernel models reuse the training Gram for the very rows fit saw, equal to recomputing it', async () => {
    const { x, y } = unitRange(3, [
      [0.2, -0.4, 0.9],
      [0.5, 0.1, -0.6],
    ]);
    for (const k of [new IQPKernelClassifier({ repeats: 1 }), new ProjectedQuantumKernel({ trotterSteps: 1 })]) {
      await k.fit(x, y);
      const reused = k.gramAgainstTraining(x).map((r) => Array.from(r));
      const fresh = k.gramAgainstTraining(x.map((r) => [...r])).map((r) => Array.from(r));
      expect(k.gramAgainstTraining(x)).toBe(k.gramAgainstTraining(x)); // stored, not recomputed
      expect(reused.length).toBe(4);
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 4; j++) expect(reused[i]?.[j]).toBeCloseTo(fresh[i]?.[j] as number, 12);
    }
  });

  it('kernels: projected features = ⟨X/Y/Z_q⟩ of the Trotter circuit; separable kernel', async () => {
    const d = 2;
    const { x, y } = unitRange(d, [[0.2, -0.4]]);
    const a = probe.slice(0, 2).map((v) => (v * Math.PI) / 2);
    const b = [0.2, -0.4].map((v) => (v * Math.PI) / 2);
    const pk = new ProjectedQuantumKernel({ trotterSteps: 2, evolutionTime: 0.7 });
    await pk.fit(x, y.slice(0, 2).concat([1]));
    const feats = (pk as unknown as { represent(x: Float64Array[]): Float64Array[] }).represent([Float64Array.from(a)]);
    const rot = (pk as unknown as { rotations: Float64Array }).rotations;
    const n = d + 1;
    const rp = new Ref(n);
    for (let q = 0; q < n; q++) rp.rot(q, rot[3 * q] as number, rot[3 * q + 1] as number, rot[3 * q + 2] as number);
    const tau = (0.7 * d) / 2;
    for (let s = 0; s < 2; s++)
      for (let j = 0; j < d; j++) {
        const t = tau * (a[j] as number);
        rp.c
          .rxx(rp.q(j), rp.q(j + 1), t)
          .ryy(rp.q(j), rp.q(j + 1), t)
          .rzz(rp.q(j), rp.q(j + 1), t);
      }
    const names = Array.from({ length: n }, (_, q) =>
      ['X', 'Y', 'Z'].map((P) => Array.from({ length: n }, (_, i) => (i === q ? P : 'I')).join('')),
    ).flat();
    const want = await rp.values(names);
    for (let i = 0; i < 3 * n; i++) expect((feats[0] as Float64Array)[i]).toBeCloseTo(want[i] as number, 10);

    const sk = new SeparableKernelClassifier({ encodingLayers: 2 });
    await sk.fit(x, y.slice(0, 2).concat([1]));
    let prod = 1;
    for (let q = 0; q < d; q++) {
      const rq = new Ref(1);
      for (let l = 0; l < 2; l++) rq.c.rx(0, -Math.PI / 4).ry(0, -(a[q] as number));
      for (let l = 0; l < 2; l++) rq.c.ry(0, b[q] as number).rx(0, Math.PI / 4);
      prod *= (1 + ((await rq.values(['Z']))[0] as number)) / 2;
    }
    expect((sk.gramAgainstTraining([probe.slice(0, 2)])[0] as Float64Array)[2]).toBeCloseTo(prod, 10);
  });
});

/** Two Gaussian blobs, separable along the sum of the features. */
function blobs(n: number, d: number, seed: number) {
  const r = new LegacyRandomState(seed);
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2 === 0 ? -1 : 1;
    x.push(Array.from({ length: d }, () => label * 0.8 + 0.3 * r.gauss()));
    y.push(label);
  }
  return { x, y };
}

describe('study gradients and learning', () => {
  const cases: Array<[string, () => StudyVariationalClassifier, number]> = [
    ['DataReuploading', () => new DataReuploadingClassifier({ nLayers: 2, observableType: 'full', maxSteps: 1 }), 5],
    ['IQPVariational', () => new IQPVariationalClassifier({ nLayers: 2, maxSteps: 1 }), 3],
    ['Dressed', () => new DressedQuantumCircuitClassifier({ nLayers: 2, maxSteps: 1 }), 3],
    ['CircuitCentric', () => new CircuitCentricClassifier({ nLayers: 2, maxSteps: 1 }), 3],
    ['TreeTensor', () => new TreeTensorClassifier({ maxSteps: 1 }), 5],
    ['SeparableVariational', () => new SeparableVariationalClassifier({ encodingLayers: 2, maxSteps: 1 }), 3],
  ];
  for (const [name, make, d] of cases) {
    it(`${name}: batched adjoint gradient of the batch loss equals central finite differences`, async () => {
      const m = make();
      const data = blobs(12, d, 3);
      await m.fit(data.x, data.y);
      const xs = data.x.map((r) =>
        (m as unknown as { scaler: { transform(x: Float64Array): Float64Array } }).scaler.transform(
          Float64Array.from(r),
        ),
      );
      const states = (m as unknown as { prepareStates(x: Float64Array[]): undefined }).prepareStates(xs);
      const idx = [0, 3, 5, 8, 8, 11];
      const p = Float64Array.from(m.params as Float64Array);
      const g = new Float64Array(p.length);
      m.lossAndGrad(p, xs, data.y, idx, g, states);
      const h = 1e-6;
      const scratch = new Float64Array(p.length);
      for (let i = 0; i < p.length; i++) {
        const q = Float64Array.from(p);
        q[i] = (p[i] as number) + h;
        const up = m.lossAndGrad(q, xs, data.y, idx, scratch, states);
        q[i] = (p[i] as number) - h;
        const down = m.lossAndGrad(q, xs, data.y, idx, scratch, states);
        expect(Math.abs((g[i] as number) - (up - down) / (2 * h))).toBeLessThan(1e-7);
      }
      expect(Math.max(...Array.from(g, Math.abs))).toBeGreaterThan(1e-3);
    });
  }

  it('learns a separable toy set, and does not when its gradient is zeroed', async () => {
    const train = blobs(60, 2, 5);
    const test = blobs(40, 2, 9);
    const m = new SeparableVariationalClassifier({ learningRate: 0.1, maxSteps: 300, randomState: 1 });
    await m.fit(train.x, train.y);
    expect(m.score(test.x, test.y)).toBeGreaterThanOrEqual(0.95);
    const frozen = new SeparableVariationalClassifier({
      learningRate: 0.1,
      maxSteps: 300,
      randomState: 1,
      freezeGradient: true,
    });
    await frozen.fit(train.x, train.y);
    expect(frozen.score(test.x, test.y)).toBeLessThan(0.8);
    expect(Array.from(frozen.params as Float64Array)).toEqual(
      Array.from((frozen as unknown as { built: { params: Float64Array } }).built.params),
    );

    const dr = new DataReuploadingClassifier({ learningRate: 0.1, nLayers: 2, maxSteps: 300, randomState: 3 });
    await dr.fit(train.x, train.y);
    expect(dr.score(test.x, test.y)).toBeGreaterThanOrEqual(0.9);
  });
});

describe('study protocol pieces', () => {
  it("stratifiedKFold follows scikit-learn's quotas and contiguous blocks", () => {
    const y = [1, 1, -1, 1, -1, -1, 1, -1, 1, 1, -1, 1];
    const folds = stratifiedKFold(y, 3);
    expect(folds).toEqual([
      // quotas (label 1, label −1) = (3,1), (2,2), (2,2) from dealing the sorted codes
      [0, 1, 2, 3],
      [4, 5, 6, 8],
      [7, 9, 10, 11],
    ]);
    expect(() => stratifiedKFold([1, 1, -1], 3)).toThrow(/at least 3/);
  });

  it('parameterGrid sorts names (C before lowercase) and varies the last fastest', () => {
    expect(parameterGrid({ encoding_layers: [1, 3], C: [0.1, 1] })).toEqual([
      { C: 0.1, encoding_layers: 1 },
      { C: 0.1, encoding_layers: 3 },
      { C: 1, encoding_layers: 1 },
      { C: 1, encoding_layers: 3 },
    ]);
  });
});
