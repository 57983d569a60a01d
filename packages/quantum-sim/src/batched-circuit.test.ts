import { describe, expect, it } from 'vitest';
import { assembleBatchedKernels } from '../scripts/build-wasm.js';
import { BatchedCircuit, type BatchedGate } from './batched-circuit.js';
import { BATCHED_KERNELS_WASM_BASE64 } from './wasm/batched-kernels-wasm.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Central difference (step 1e-6) of loss(expectations) in angle `at`. */
function centralDifference(
  c: BatchedCircuit,
  angles: Float64Array,
  batchSize: number,
  observables: number[][],
  at: number,
  loss: (v: Float64Array) => number,
): number {
  const h = 1e-6;
  const up = Float64Array.from(angles);
  const down = Float64Array.from(angles);
  up[at] = (up[at] as number) + h;
  down[at] = (down[at] as number) - h;
  return (
    (loss(c.expectations({ batchSize, angles: up, observables })) -
      loss(c.expectations({ batchSize, angles: down, observables }))) /
    (2 * h)
  );
}

describe('BatchedCircuit', () => {
  it('matches closed forms for single rotations and wire ordering', () => {
    const c = new BatchedCircuit(2, [
      { gate: 'rx', wire: 0, angle: 0 },
      { gate: 'ry', wire: 1, angle: 1 },
    ]);
    const angles = new Float64Array([0.3, 1.1, 2.0, -0.4]);
    const v = c.expectations({ batchSize: 2, angles, observables: [[0], [1], [0, 1]] });
    expect(v[0]).toBeCloseTo(Math.cos(0.3), 12);
    expect(v[1]).toBeCloseTo(Math.cos(1.1), 12);
    expect(v[2]).toBeCloseTo(Math.cos(0.3) * Math.cos(1.1), 12);
    expect(v[3]).toBeCloseTo(Math.cos(2.0), 12);
    // wire 0 is the most significant bit: X on wire 0 puts the amplitude at index 2.
    const flip = new BatchedCircuit(2, [{ gate: 'rx', wire: 0, angle: 0 }]);
    const seen: number[] = [];
    flip.states({ batchSize: 1, angles: new Float64Array([Math.PI]) }, (_b, re, im) => {
      for (let k = 0; k < 4; k++) seen.push((re[k] as number) ** 2 + (im[k] as number) ** 2);
    });
    expect(seen.map((p) => Math.round(p * 1e9) / 1e9)).toEqual([0, 0, 1, 0]);
  });

  it('gives H·RZ(φ)·H → cos φ, Bell correlations and ZZ/XX/YY phases', () => {
    const c = new BatchedCircuit(2, [
      { gate: 'h', wire: 0 },
      { gate: 'rz', wire: 0, angle: 0 },
      { gate: 'h', wire: 0 },
    ]);
    expect(c.expectations({ batchSize: 1, angles: new Float64Array([0.7]), observables: [[0]] })[0]).toBeCloseTo(
      Math.cos(0.7),
      12,
    );
    const bell = new BatchedCircuit(2, [
      { gate: 'h', wire: 0 },
      { gate: 'cnot', control: 0, target: 1 },
    ]);
    const b = bell.expectations({ batchSize: 1, angles: new Float64Array(0), observables: [[0], [1], [0, 1]] });
    expect(b[0]).toBeCloseTo(0, 12);
    expect(b[2]).toBeCloseTo(1, 12);
    // exp(−iθ/2 X⊗X)|00⟩ = cos(θ/2)|00⟩ − i sin(θ/2)|11⟩ ⇒ ⟨Z0⟩ = cos θ; same for YY (Y⊗Y|00⟩ = −|11⟩).
    for (const gate of ['xx', 'yy'] as const) {
      const g = new BatchedCircuit(2, [{ gate, wires: [0, 1], angle: 0 }]);
      expect(g.expectations({ batchSize: 1, angles: new Float64Array([0.9]), observables: [[0]] })[0]).toBeCloseTo(
        Math.cos(0.9),
        12,
      );
    }
    // On |+ +⟩, exp(−iθ/2 Z⊗Z) gives ⟨X0⟩ = cos θ: measure via H then Z.
    const zz = new BatchedCircuit(2, [
      { gate: 'h', wire: 0 },
      { gate: 'h', wire: 1 },
      { gate: 'zz', wires: [0, 1], angle: 0 },
      { gate: 'h', wire: 0 },
    ]);
    expect(zz.expectations({ batchSize: 1, angles: new Float64Array([1.3]), observables: [[0]] })[0]).toBeCloseTo(
      Math.cos(1.3),
      12,
    );
    // H⊗H, CZ, H on wire 1 gives (|00⟩ + |11⟩)/√2: ⟨Z0 Z1⟩ = 1, ⟨Z1⟩ = 0.
    const cz = new BatchedCircuit(2, [
      { gate: 'h', wire: 0 },
      { gate: 'h', wire: 1 },
      { gate: 'cz', wires: [0, 1] },
      { gate: 'h', wire: 1 },
    ]);
    expect(cz.expectations({ batchSize: 1, angles: new Float64Array(0), observables: [[0, 1]] })[0]).toBeCloseTo(1, 12);
    expect(cz.expectations({ batchSize: 1, angles: new Float64Array(0), observables: [[1]] })[0]).toBeCloseTo(0, 12);
  });

  it('adjoint gradients through the batched path match central finite differences', () => {
    const n = 4;
    const rnd = lcg(7);
    const gates: BatchedGate[] = [];
    let slot = 0;
    const kinds = ['h', 'rx', 'ry', 'rz', 'cnot', 'cz', 'zz', 'xx', 'yy'] as const;
    for (let i = 0; i < 40; i++) {
      const kind = kinds[i % kinds.length] as (typeof kinds)[number];
      const a = Math.floor(rnd() * n);
      const b = (a + 1 + Math.floor(rnd() * (n - 1))) % n;
      if (kind === 'h') gates.push({ gate: 'h', wire: a });
      else if (kind === 'cnot') gates.push({ gate: 'cnot', control: a, target: b });
      else if (kind === 'cz') gates.push({ gate: 'cz', wires: [a, b] });
      else if (kind === 'rx' || kind === 'ry' || kind === 'rz') gates.push({ gate: kind, wire: a, angle: slot++ });
      else gates.push({ gate: kind, wires: [a, b], angle: slot++ });
    }
    // One slot shared by two gates: gradients add.
    gates.push({ gate: 'ry', wire: 2, angle: 0 });
    const c = new BatchedCircuit(n, gates);
    const B = 3;
    const angles = Float64Array.from({ length: B * c.numAngles }, () => (rnd() - 0.5) * 6);
    const observables = [[0], [1, 3], [2]];
    const weights = [0.7, -1.3, 0.4];
    // A nonlinear loss per sample: ℓ = Σ_j w_j E_j + E_0², cotangent w_j + 2E_0[j = 0].
    const loss = (v: Float64Array, at: number) =>
      weights.reduce((s, w, j) => s + w * (v[at + j] as number), 0) + (v[at] as number) ** 2;
    const { values, angleGradients } = c.valueAndGradient({
      batchSize: B,
      angles,
      observables,
      cotangent: (_b, v, out) => {
        for (let j = 0; j < weights.length; j++) out[j] = weights[j] as number;
        out[0] = (out[0] as number) + 2 * (v[0] as number);
      },
    });
    expect(Array.from(values)).toEqual(Array.from(c.expectations({ batchSize: B, angles, observables })));
    for (let b = 0; b < B; b++) {
      for (let s = 0; s < c.numAngles; s++) {
        const fd = centralDifference(c, angles, B, observables, b * c.numAngles + s, (v) => loss(v, b * 3));
        expect(angleGradients[b * c.numAngles + s]).toBeCloseTo(fd, 6);
      }
    }
  });

  it('rejects bad wires, slots and short angle arrays with the field named', () => {
    expect(() => new BatchedCircuit(2, [{ gate: 'h', wire: 2 }])).toThrow(/wire 2/);
    expect(() => new BatchedCircuit(2, [{ gate: 'cnot', control: 1, target: 1 }])).toThrow(/differ/);
    const c = new BatchedCircuit(1, [{ gate: 'rx', wire: 0, angle: 1 }]);
    expect(() => c.expectations({ batchSize: 2, angles: new Float64Array(3), observables: [[0]] })).toThrow(
      /angles has 3 values/,
    );
  });

  it('fused rot equals RZ·RY·RZ in values and adjoint gradients', () => {
    const rand = lcg(11);
    const n = 3;
    const fused: BatchedGate[] = [];
    const split: BatchedGate[] = [];
    let slot = 0;
    for (let l = 0; l < 3; l++) {
      for (let q = 0; q < n; q++) {
        const a: [number, number, number] = [slot, slot + 1, slot + 2];
        slot += 3;
        fused.push({ gate: 'rot', wire: q, angles: a });
        split.push(
          { gate: 'rz', wire: q, angle: a[0] },
          { gate: 'ry', wire: q, angle: a[1] },
          { gate: 'rz', wire: q, angle: a[2] },
        );
      }
      for (const g of [
        { gate: 'cnot', control: l % n, target: (l + 1) % n } as const,
        { gate: 'h', wire: 2 } as const,
      ]) {
        fused.push(g);
        split.push(g);
      }
    }
    const batchSize = 3;
    const angles = Float64Array.from({ length: batchSize * slot }, () => (rand() - 0.5) * 6);
    const observables = [[0], [1, 2]];
    const cotangent = (_b: number, v: Float64Array, out: Float64Array) => {
      out[0] = 2 * (v[0] as number);
      out[1] = -0.5;
    };
    const a = new BatchedCircuit(n, fused).valueAndGradient({ batchSize, angles, observables, cotangent });
    const b = new BatchedCircuit(n, split).valueAndGradient({ batchSize, angles, observables, cotangent });
    for (let i = 0; i < a.values.length; i++) expect(a.values[i]).toBeCloseTo(b.values[i] as number, 12);
    for (let i = 0; i < a.angleGradients.length; i++)
      expect(a.angleGradients[i]).toBeCloseTo(b.angleGradients[i] as number, 11);
    expect(a.angleGradients.some((g) => Math.abs(g) > 0.05)).toBe(true);
  });

  it('single-qubit chains (fused per wire across gates on other wires) match the unfused path and finite differences', () => {
    const rand = lcg(5);
    const n = 3;
    const gates: BatchedGate[] = [];
    let slot = 0;
    for (let l = 0; l < 3; l++) {
      for (let q = 0; q < n; q++) {
        gates.push(
          { gate: 'h', wire: q },
          { gate: 'rx', wire: q, angle: slot++ },
          { gate: 'ry', wire: q, angle: slot++ },
        );
        gates.push({ gate: 'rot', wire: q, angles: [slot, slot + 1, slot + 2] });
        slot += 3;
        gates.push({ gate: 'rz', wire: (q + 1) % n, angle: slot++ });
      }
      gates.push(
        { gate: 'cnot', control: 0, target: 1 },
        { gate: 'cz', wires: [1, 2] },
        { gate: 'zz', wires: [0, 2], angle: slot++ },
      );
    }
    const batchSize = 2;
    const angles = Float64Array.from({ length: batchSize * slot }, () => (rand() - 0.5) * 6);
    const observables = [[0], [1, 2]];
    const cotangent = (_b: number, v: Float64Array, out: Float64Array) => {
      out[0] = v[0] as number;
      out[1] = 0.7;
    };
    const chained = new BatchedCircuit(n, gates, { fuseChains: true });
    const a = chained.valueAndGradient({ batchSize, angles, observables, cotangent });
    const b = new BatchedCircuit(n, gates, { fuseChains: false }).valueAndGradient({
      batchSize,
      angles,
      observables,
      cotangent,
    });
    for (let i = 0; i < a.values.length; i++) expect(a.values[i]).toBeCloseTo(b.values[i] as number, 12);
    for (let i = 0; i < a.angleGradients.length; i++)
      expect(a.angleGradients[i]).toBeCloseTo(b.angleGradients[i] as number, 11);
    // Loss ℓ = ½⟨Z0⟩² + 0.7⟨Z1Z2⟩, central differences on sample 0.
    const loss = (ang: Float64Array) => {
      const v = chained.expectations({ batchSize: 1, angles: ang, observables });
      return 0.5 * (v[0] as number) ** 2 + 0.7 * (v[1] as number);
    };
    const h = 1e-6;
    for (let s = 0; s < slot; s++) {
      const up = angles.slice(0, slot);
      const down = angles.slice(0, slot);
      up[s] = (up[s] as number) + h;
      down[s] = (down[s] as number) - h;
      expect(Math.abs((a.angleGradients[s] as number) - (loss(up) - loss(down)) / (2 * h))).toBeLessThan(1e-7);
    }
  });

  describe('SIMD path (two samples per lane) and light cone', () => {
    it('the generated WebAssembly module matches batched-kernels.wat', async () => {
      expect(await assembleBatchedKernels()).toBe(BATCHED_KERNELS_WASM_BASE64);
    });

    /** A random circuit of the gates the SIMD path takes, with shared slots, on n qubits. */
    function randomCircuit(seed: number, n: number, length: number): { gates: BatchedGate[]; slots: number } {
      const rnd = lcg(seed);
      const gates: BatchedGate[] = [];
      let slot = 0;
      const kinds = ['h', 'rx', 'ry', 'rz', 'rot', 'cnot', 'cz'] as const;
      for (let i = 0; i < length; i++) {
        const kind = kinds[Math.floor(rnd() * kinds.length)] as (typeof kinds)[number];
        const a = Math.floor(rnd() * n);
        const b = (a + 1 + Math.floor(rnd() * (n - 1))) % n;
        if (kind === 'h') gates.push({ gate: 'h', wire: a });
        else if (kind === 'cnot') gates.push({ gate: 'cnot', control: a, target: b });
        else if (kind === 'cz') gates.push({ gate: 'cz', wires: [a, b] });
        else if (kind === 'rot') {
          gates.push({ gate: 'rot', wire: a, angles: [slot, slot + 1, slot + 2] });
          slot += 3;
        } else gates.push({ gate: kind, wire: a, angle: slot++ });
      }
      gates.push({ gate: 'ry', wire: 0, angle: 0 }); // a shared slot: gradients add
      return { gates, slots: slot };
    }

    const cotangent = (b: number, v: Float64Array, out: Float64Array) => {
      for (let j = 0; j < out.length; j++) out[j] = 0.3 * (j + 1) - 0.2 * b;
      out[0] = (out[0] as number) + 2 * (v[0] as number);
    };

    it('agrees with the JavaScript path to 1e-12 in values and gradients on random circuits and batches', () => {
      for (const [seed, n, batchSize] of [
        [1, 3, 1],
        [5, 2, 3],
        [2, 5, 4],
        [3, 7, 5],
        [4, 8, 6],
      ] as const) {
        const { gates } = randomCircuit(seed, n, 12 * n);
        const simd = new BatchedCircuit(n, gates, { wasm: true });
        const undo = new BatchedCircuit(n, gates, { wasm: true, keptStateBytes: 0 });
        const js = new BatchedCircuit(n, gates, { wasm: false });
        expect(simd.simd, 'WebAssembly SIMD is available on Node 20').toBe(true);
        expect(js.simd).toBe(false);
        const rnd = lcg(seed + 100);
        const angles = Float64Array.from({ length: batchSize * simd.numAngles }, () => (rnd() - 0.5) * 6);
        // A prepared, random normalised initial state per sample.
        const prepare = (b: number, re: Float64Array, im: Float64Array) => {
          const r = lcg(1000 + b);
          let norm = 0;
          for (let k = 0; k < re.length; k++) {
            re[k] = r() - 0.5;
            im[k] = r() - 0.5;
            norm += (re[k] as number) ** 2 + (im[k] as number) ** 2;
          }
          for (let k = 0; k < re.length; k++) {
            re[k] = (re[k] as number) / Math.sqrt(norm);
            im[k] = (im[k] as number) / Math.sqrt(norm);
          }
        };
        const observables = [[0], [n - 1, 1], [2 % n], [0, 1, n - 1]];
        for (const prep of [undefined, prepare]) {
          // Kept forward states and the undo sweep both agree with JavaScript.
          const a = simd.valueAndGradient({ batchSize, angles, observables, cotangent, prepare: prep });
          const u = undo.valueAndGradient({ batchSize, angles, observables, cotangent, prepare: prep });
          const b = js.valueAndGradient({ batchSize, angles, observables, cotangent, prepare: prep });
          for (let i = 0; i < u.angleGradients.length; i++)
            expect(Math.abs((u.angleGradients[i] as number) - (b.angleGradients[i] as number))).toBeLessThan(1e-12);
          expect(a.values.length).toBe(batchSize * observables.length);
          for (let i = 0; i < a.values.length; i++)
            expect(Math.abs((a.values[i] as number) - (b.values[i] as number))).toBeLessThan(1e-12);
          for (let i = 0; i < a.angleGradients.length; i++)
            expect(Math.abs((a.angleGradients[i] as number) - (b.angleGradients[i] as number))).toBeLessThan(1e-12);
          expect(b.angleGradients.some((g) => Math.abs(g) > 0.01)).toBe(true);
          const e = simd.expectations({ batchSize, angles, observables, prepare: prep });
          for (let i = 0; i < e.length; i++)
            expect(Math.abs((e[i] as number) - (b.values[i] as number))).toBeLessThan(1e-12);
        }
      }
    });

    it('SIMD gradients match central finite differences', () => {
      const n = 4;
      const { gates } = randomCircuit(9, n, 40);
      const c = new BatchedCircuit(n, gates, { wasm: true });
      expect(c.simd).toBe(true);
      const B = 3;
      const rnd = lcg(19);
      const angles = Float64Array.from({ length: B * c.numAngles }, () => (rnd() - 0.5) * 6);
      const observables = [[0], [1, 3]];
      const r = c.valueAndGradient({ batchSize: B, angles, observables, cotangent });
      // ℓ_b = Σ_j (0.3(j+1) − 0.2b) E_j + E_0², the loss whose cotangent is above.
      const loss = (v: Float64Array, b: number) =>
        (v[b * 2] as number) ** 2 + (0.3 - 0.2 * b) * (v[b * 2] as number) + (0.6 - 0.2 * b) * (v[b * 2 + 1] as number);
      for (let b = 0; b < B; b++) {
        for (let s = 0; s < c.numAngles; s++) {
          const fd = centralDifference(c, angles, B, observables, b * c.numAngles + s, (v) => loss(v, b));
          expect(Math.abs((r.angleGradients[b * c.numAngles + s] as number) - fd)).toBeLessThan(1e-7);
        }
      }
    });

    it('the light cone drops gates yet gives the full circuit’s values and gradients', () => {
      const n = 6;
      // Layers of rotations and entanglers, then a tail of CNOTs, CZs and RZs the cone folds away.
      const { gates } = randomCircuit(21, n, 60);
      let slot = 200;
      gates.push(
        { gate: 'cnot', control: 2, target: 0 },
        { gate: 'rz', wire: 3, angle: slot++ },
        { gate: 'cz', wires: [0, 4] },
        { gate: 'cnot', control: 5, target: 1 },
        { gate: 'rot', wire: 4, angles: [slot, slot + 1, slot + 2] },
      );
      slot += 3;
      expect(new BatchedCircuit(n, gates).simd, 'SIMD by default from 6 qubits').toBe(true);
      expect(new BatchedCircuit(3, [{ gate: 'h', wire: 0 }]).simd).toBe(false);
      for (const wasm of [true, false]) {
        const cone = new BatchedCircuit(n, gates, { wasm });
        const full = new BatchedCircuit(n, gates, { wasm, lightCone: false });
        const rnd = lcg(33);
        const B = 3;
        const angles = Float64Array.from({ length: B * cone.numAngles }, () => (rnd() - 0.5) * 6);
        for (const observables of [[[0]], [[1], [0, 1]], [[3], [5]]]) {
          expect(cone.activeGates(observables)).toBeLessThan(gates.length);
          expect(full.activeGates(observables)).toBe(gates.length);
          const a = cone.valueAndGradient({ batchSize: B, angles, observables, cotangent });
          const b = full.valueAndGradient({ batchSize: B, angles, observables, cotangent });
          for (let i = 0; i < a.values.length; i++)
            expect(Math.abs((a.values[i] as number) - (b.values[i] as number))).toBeLessThan(1e-12);
          for (let i = 0; i < a.angleGradients.length; i++)
            expect(Math.abs((a.angleGradients[i] as number) - (b.angleGradients[i] as number))).toBeLessThan(1e-12);
        }
      }
      // One-qubit gates then a CNOT ring (the dressed circuit's shape): the cone folds the ring
      // into the Z-strings and leaves a product state, which runs wire by wire.
      const rnd = lcg(44);
      const prod: BatchedGate[] = [];
      let ps = 0;
      for (let q = 0; q < n; q++) prod.push({ gate: 'h', wire: q }, { gate: 'ry', wire: q, angle: ps++ });
      for (let q = 0; q < n; q++) {
        prod.push({ gate: 'rot', wire: q, angles: [ps, ps + 1, ps + 2] }, { gate: 'rx', wire: q, angle: q });
        ps += 3;
      }
      for (let q = 0; q < n; q++) prod.push({ gate: 'cnot', control: q, target: (q + 1) % n });
      const observables = Array.from({ length: n }, (_, q) => [q]);
      const product = new BatchedCircuit(n, prod);
      expect(product.activeGates(observables)).toBe(4 * n);
      expect(product.pathFor(observables)).toBe('product');
      expect(product.pathFor(observables, true)).toBe('simd');
      expect(new BatchedCircuit(n, prod, { lightCone: false }).pathFor(observables)).toBe('simd');
      expect(new BatchedCircuit(n, prod, { wasm: false, lightCone: false }).pathFor(observables)).toBe('js');
      const B = 3;
      const pa = Float64Array.from({ length: B * product.numAngles }, () => (rnd() - 0.5) * 6);
      const a = product.valueAndGradient({ batchSize: B, angles: pa, observables, cotangent });
      for (const wasm of [true, false]) {
        const b = new BatchedCircuit(n, prod, { wasm, lightCone: false }).valueAndGradient({
          batchSize: B,
          angles: pa,
          observables,
          cotangent,
        });
        for (let i = 0; i < a.values.length; i++)
          expect(Math.abs((a.values[i] as number) - (b.values[i] as number))).toBeLessThan(1e-12);
        for (let i = 0; i < a.angleGradients.length; i++)
          expect(Math.abs((a.angleGradients[i] as number) - (b.angleGradients[i] as number))).toBeLessThan(1e-12);
      }
      expect(a.angleGradients.some((g) => Math.abs(g) > 0.01)).toBe(true);
      // Z on wire 0 after H on wire 1 alone: the cone keeps nothing but the gate on wire 0.
      const two = new BatchedCircuit(2, [
        { gate: 'rx', wire: 0, angle: 0 },
        { gate: 'h', wire: 1 },
        { gate: 'cz', wires: [0, 1] },
      ]);
      expect(two.activeGates([[0]])).toBe(1);
      expect(two.expectations({ batchSize: 1, angles: Float64Array.of(0.4), observables: [[0]] })[0]).toBeCloseTo(
        Math.cos(0.4),
        12,
      );
    });
  });
});
