import { createRng, isQStoreError, type Observable, type Rng, ValidationError } from '@q-store/core';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { qcbmCircuit } from '../bench/circuits.js';
import { applyOps } from './executor.js';
import { compileOps, compileSimd } from './program.js';
import { maxDiff, randomCircuit } from './random-circuits.test-helper.js';
import { SplitState } from './split-state.js';
import { StateVectorSimulator } from './state-vector-simulator.js';
import { ThreadPool } from './threads.js';
import { Workspace } from './workspace.js';

const pool = new ThreadPool(2, 3);
afterAll(async () => {
  await pool.close();
});

/** The whole-state result of `ops` from |0…0⟩ on the SIMD kernels (the reference). */
function unsplit(n: number, ops: Parameters<typeof applyOps>[2]): Float64Array {
  const ws = new Workspace(n, 1, 2 ** 30, true);
  const a = ws.states[0] as Float64Array;
  a[0] = 1;
  applyOps(a, n, ops, ws.wasm);
  return a;
}

/** A random Pauli sum on n qubits with X, Y and Z on every position (so on chunk-index bits too). */
function randomObservable(rng: Rng, n: number, terms: number): Observable {
  return Array.from({ length: terms }, () => ({
    coefficient: rng.float() * 2 - 1,
    paulis: Array.from({ length: n }, () => rng.pick(['I', 'X', 'Y', 'Z'])).join(''),
  }));
}

describe('split state', () => {
  it('random circuits on 8 qubits in chunks of 2, 3 and 5 qubits give the unsplit state to 1e-12 (after exchanges)', async () => {
    const rng = createRng(3);
    const n = 8;
    for (const c of [2, 3, 5]) {
      for (let trial = 0; trial < 4; trial++) {
        const circuit = randomCircuit(rng, n, 120);
        const ops = compileOps(circuit, { fuseQubits: Math.min(2, c) });
        const reference = unsplit(n, ops);
        const s = new SplitState(n, c, 2 ** 30);
        s.reset();
        expect(s.simd).toBe(true);
        await s.run(ops);
        expect(s.exchanges, 'targets on chunk-index bits were exchanged').toBeGreaterThan(0);
        expect(s.chunks.length).toBe(2 ** (n - c));
        expect(maxDiff(s.toArray(), reference)).toBeLessThan(1e-12);
        s.unpermute();
        expect(s.where).toEqual(Array.from({ length: n }, (_, q) => q));
        expect(maxDiff(s.toArray(), reference)).toBeLessThan(1e-12);
      }
    }
  });

  it('threads inside each chunk give the same state bits as one thread', async () => {
    const rng = createRng(5);
    const n = 9;
    const ops = compileOps(randomCircuit(rng, n, 100, ['u', 'cx', 'rx', 'rz', 'ry', 'h', 'rxx']), { fuseQubits: 2 });
    const one = new SplitState(n, 6, 2 ** 30);
    one.reset();
    await one.run(ops);
    const two = new SplitState(n, 6, 2 ** 30);
    two.reset();
    const before = pool.stats.parallel;
    await two.run(ops, { threads: pool, threadMinQubits: 1 });
    expect(pool.stats.parallel - before, 'ops ran on the threads').toBeGreaterThan(0);
    expect(Array.from(two.toArray())).toEqual(Array.from(one.toArray()));
  });

  it('the QCBM at 12 qubits in chunks of 9 needs few exchanges (about one per high qubit per layer)', async () => {
    const n = 12;
    const ops = compileOps(qcbmCircuit(n), { fuseQubits: 2 });
    const s = new SplitState(n, 9, 2 ** 30);
    s.reset();
    await s.run(ops);
    expect(maxDiff(s.toArray(), unsplit(n, ops))).toBeLessThan(1e-12);
    expect(s.exchanges).toBeGreaterThan(0);
    // every layer targets all qubits, so each of the 3 high ones must come down once per layer (≥ 30);
    // exchanging back after each op would take 2 per op on a high qubit (≥ 120)
    expect(s.exchanges).toBeLessThanOrEqual(4 * 11);
  });

  it('folded CNOTs (mux ops) give the unsplit state bits, a control on a chunk bit unfolded to a condition (no extra exchange)', async () => {
    const n = 12;
    const folded = compileSimd(qcbmCircuit(n));
    expect(folded.some((op) => op.kind === 'mux')).toBe(true);
    const plain = new SplitState(n, 9, 2 ** 30);
    plain.reset();
    await plain.run(compileOps(qcbmCircuit(n), { fuseQubits: 2 }));
    const s = new SplitState(n, 9, 2 ** 30);
    s.reset();
    await s.run(folded);
    expect(Array.from(s.toArray())).toEqual(Array.from(unsplit(n, folded)));
    expect(s.exchanges).toBeLessThanOrEqual(plain.exchanges);
    const rng = createRng(12);
    for (const c of [3, 5]) {
      const ops = compileSimd(randomCircuit(rng, 8, 120, ['u', 'cx', 'ry']));
      const r = new SplitState(8, c, 2 ** 30);
      r.reset();
      await r.run(ops);
      expect(Array.from(r.toArray()), `chunks of ${c}`).toEqual(Array.from(unsplit(8, ops)));
    }
  });
});

describe('simulator with chunkQubits', () => {
  const split = new StateVectorSimulator({ chunkQubits: 3 });
  const whole = new StateVectorSimulator();
  afterAll(async () => {
    await split.close();
    await whole.close();
  });

  it('estimate of random Pauli sums on random circuits (8 qubits, chunks of 3) matches the unsplit simulator to 1e-12', async () => {
    const rng = createRng(21);
    const n = 8;
    for (let trial = 0; trial < 5; trial++) {
      const circuit = randomCircuit(rng, n, 100);
      const observables = [randomObservable(rng, n, 6), randomObservable(rng, n, 3)];
      const a = await split.estimate({ circuit, observables });
      const b = await whole.estimate({ circuit, observables });
      for (let k = 0; k < observables.length; k++) {
        expect(Math.abs((a.values[k] as number) - (b.values[k] as number))).toBeLessThan(1e-12);
      }
      expect(
        b.values.some((v) => Math.abs(v) > 1e-3),
        'the values are not all 0',
      ).toBe(true);
    }
  });

  it('takes the split path for every circuit wider than chunkQubits, the tiny synchronous one included', async () => {
    const run = vi.spyOn(SplitState.prototype, 'run');
    try {
      const circuit = { numQubits: 4, operations: [{ gate: 'h' as const, qubits: [3] }] };
      const r = await split.estimate({ circuit, observables: [[{ coefficient: 1, paulis: 'XIII' }]] });
      expect(r.values[0]).toBeCloseTo(1, 12);
      expect(run).toHaveBeenCalledTimes(1);
      await split.estimate({
        circuit: { numQubits: 3, operations: [{ gate: 'h', qubits: [2] }] },
        observables: [[{ coefficient: 1, paulis: 'XII' }]],
      });
      expect(run, 'a circuit that fits one chunk runs unsplit').toHaveBeenCalledTimes(1);
    } finally {
      run.mockRestore();
    }
  });

  it('adjoint gradients (8 qubits, chunks of 3) match the unsplit simulator to 1e-12', async () => {
    const rng = createRng(8);
    const n = 8;
    let k = 0;
    const circuit = randomCircuit(rng, n, 60, ['rx', 'ry', 'rz', 'cx', 'crx', 'rzz', 'rxx', 'h', 'u'], (r, gate) =>
      gate === 'u' ? r.float() : `p${k++ % 7}`,
    );
    const values = Object.fromEntries(Array.from({ length: 7 }, (_, j) => [`p${j}`, rng.float() * 3]));
    const observables = [randomObservable(rng, n, 4), randomObservable(rng, n, 2)];
    const request = { circuit, observables, parameters: values, method: 'adjoint' as const };
    const a = await split.gradient(request);
    const b = await whole.gradient(request);
    expect(a.gradients.flat().length).toBe(14);
    a.gradients.flat().forEach((g, i) => {
      expect(Math.abs(g - (b.gradients.flat()[i] as number))).toBeLessThan(1e-12);
    });
    a.values.forEach((v, i) => {
      expect(Math.abs(v - (b.values[i] as number))).toBeLessThan(1e-12);
    });
    expect(b.gradients.flat().some((g) => Math.abs(g) > 1e-3)).toBe(true);
  });

  it('same seed, same samples as the unsplit simulator', async () => {
    const rng = createRng(13);
    const circuits = [randomCircuit(rng, 8, 80), randomCircuit(rng, 9, 80)];
    const a = await split.sample({ circuits, shots: 3000, seed: 99 });
    const b = await whole.sample({ circuits, shots: 3000, seed: 99 });
    expect(a).toEqual(b);
    expect(Object.keys(a[0]?.counts ?? {}).length).toBeGreaterThan(50);
  });

  it('rejects a chunkQubits outside 2–27 with a ValidationError naming the field and the limit', () => {
    for (const bad of [1, 28, 2.5, 0]) {
      let err: unknown;
      try {
        new StateVectorSimulator({ chunkQubits: bad });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ValidationError);
      expect(isQStoreError(err) && JSON.stringify(err)).toMatch(/chunkQubits/);
      expect((err as ValidationError).issues[0]?.limit).toBe(27);
      expect((err as Error).message + JSON.stringify((err as ValidationError).issues)).toMatch(/2 to 27/);
    }
  });
});
