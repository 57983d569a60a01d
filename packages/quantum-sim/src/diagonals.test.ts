import { createRng, type Rng } from '@q-store/core';
import { afterAll, describe, expect, it } from 'vitest';
import { qcbmCircuit } from '../bench/circuits.js';
import { realCore } from './diagonals.js';
import { applyOps, execute } from './executor.js';
import { applyPhaseTable } from './kernels.js';
import { gateMatrixInterleaved, inverseOp, type Op } from './ops.js';
import { compileOps, compileSimd } from './program.js';
import { maxDiff, randomCircuit, randomState, referenceAndCopy } from './random-circuits.test-helper.js';
import { SplitState } from './split-state.js';
import { ThreadPool } from './threads.js';
import { TABLE_MIN_QUBITS, TableArea, Workspace } from './workspace.js';

/** c = a·b for interleaved complex 2×2s. */
function mul(a: Float64Array, b: Float64Array): Float64Array {
  const c = new Float64Array(8);
  for (let r = 0; r < 2; r++) {
    for (let k = 0; k < 2; k++) {
      let re = 0;
      let im = 0;
      for (let j = 0; j < 2; j++) {
        const ar = a[2 * (2 * r + j)] as number;
        const ai = a[2 * (2 * r + j) + 1] as number;
        const br = b[2 * (2 * j + k)] as number;
        const bi = b[2 * (2 * j + k) + 1] as number;
        re += ar * br - ai * bi;
        im += ar * bi + ai * br;
      }
      c[2 * (2 * r + k)] = re;
      c[2 * (2 * r + k) + 1] = im;
    }
  }
  return c;
}

function randomUnitary(rng: Rng): Float64Array {
  const angle = () => (rng.float() * 2 - 1) * Math.PI * 2;
  let m = gateMatrixInterleaved('rz', [angle()]);
  for (const g of ['ry', 'rz', 'rx', 'p'] as const) m = mul(gateMatrixInterleaved(g, [angle()]), m);
  const phase = angle();
  const out = new Float64Array(8);
  for (let i = 0; i < 4; i++) {
    const re = m[2 * i] as number;
    const im = m[2 * i + 1] as number;
    out[2 * i] = re * Math.cos(phase) - im * Math.sin(phase);
    out[2 * i + 1] = re * Math.sin(phase) + im * Math.cos(phase);
  }
  return out;
}

const pools: ThreadPool[] = [];
afterAll(async () => {
  for (const p of pools) await p.close();
});

describe('diagonal merging (phase tables)', () => {
  it('splits every unitary 2×2 into diag(p0, p1) · R · diag(1, q1) with R real and unit phases', () => {
    const rng = createRng(5);
    const cases = [
      ...Array.from({ length: 200 }, () => randomUnitary(rng)),
      gateMatrixInterleaved('x', []),
      gateMatrixInterleaved('y', []),
      gateMatrixInterleaved('h', []),
      gateMatrixInterleaved('sx', []),
      mul(gateMatrixInterleaved('rx', [1e-9]), gateMatrixInterleaved('t', [])),
    ];
    for (const u of cases) {
      const { before, real, after } = realCore(u);
      expect(Math.hypot(after[0], after[1])).toBeCloseTo(1, 14);
      expect(Math.hypot(after[2], after[3])).toBeCloseTo(1, 14);
      expect(Math.hypot(before[0], before[1])).toBeCloseTo(1, 14);
      // U_ij = p_i · R_ij · q_j
      const q = [
        [1, 0],
        [before[0], before[1]],
      ] as const;
      const pp = [
        [after[0], after[1]],
        [after[2], after[3]],
      ] as const;
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 2; j++) {
          const r = real[2 * i + j] as number;
          const [pr, pi] = pp[i] as readonly [number, number];
          const [qr, qi] = q[j] as readonly [number, number];
          const re = r * (pr * qr - pi * qi);
          const im = r * (pr * qi + pi * qr);
          expect(Math.abs(re - (u[2 * (2 * i + j)] as number))).toBeLessThan(1e-14);
          expect(Math.abs(im - (u[2 * (2 * i + j) + 1] as number))).toBeLessThan(1e-14);
        }
      }
    }
  });

  it('the QCBM from 15 qubits on: real 2×2s and one phase table per layer, the unfused state to 1e-12', async () => {
    expect(TABLE_MIN_QUBITS).toBe(15);
    for (const n of [15, 16]) {
      const circuit = qcbmCircuit(n);
      const ops = compileSimd(circuit);
      const count = (kind: Op['kind']) => ops.filter((o) => o.kind === kind).length;
      expect(count('u1') + count('mux'), 'no general 2×2 is left').toBe(0);
      expect(count('dtab'), 'one table between consecutive layers (and the first and last phases)').toBeLessThanOrEqual(
        12,
      );
      expect(count('dtab')).toBeGreaterThanOrEqual(10);
      expect(count('muxr'), 'the ring still folds into the real 2×2s').toBeGreaterThanOrEqual(9 * n);
      expect(compileSimd(circuit, { tables: false }).some((o) => o.kind === 'mux')).toBe(true);
      const ref = new Float64Array(2 << n);
      ref[0] = 1;
      applyOps(ref, n, compileOps(circuit, { fuse: false }));
      for (const wasm of [true, false]) {
        const ws = new Workspace(n, 1, 2 ** 30, wasm);
        const a = ws.states[0] as Float64Array;
        a[0] = 1;
        await execute(a, n, ops, ws.wasm);
        expect(maxDiff(a, ref), `n = ${n}, ${wasm ? 'SIMD' : 'JavaScript'}`).toBeLessThan(1e-12);
      }
    }
  });

  it('random circuits: the merged ops give the unfused state to 1e-12 (SIMD blocked and whole, JavaScript)', async () => {
    const rng = createRng(21);
    const n = 15;
    const gateSets = [
      undefined,
      ['u', 'cx', 'rz', 'rx', 'ry', 'h', 't', 's', 'p', 'x'] as const,
      ['rz', 'rx', 'cx', 'cz', 'ry'] as const,
    ];
    for (const gates of gateSets) {
      const circuit = randomCircuit(rng, n, 160, gates ? [...gates] : undefined);
      const ops = compileSimd(circuit, { tables: true });
      expect(ops.some((o) => o.kind === 'dtab' || o.kind === 'd1')).toBe(true);
      const state = randomState(rng, n);
      const { reference } = referenceAndCopy(n, state, compileOps(circuit, { fuse: false }), false);
      for (const [wasm, blocked] of [
        [true, true],
        [true, false],
        [false, true],
      ] as const) {
        const ws = new Workspace(n, 1, 2 ** 30, wasm);
        const a = ws.states[0] as Float64Array;
        a.set(state);
        if (blocked) await execute(a, n, ops, ws.wasm, undefined, undefined, 9);
        else applyOps(a, n, ops, ws.wasm);
        expect(maxDiff(a, reference), JSON.stringify({ gates, wasm, blocked })).toBeLessThan(1e-12);
      }
    }
  });

  it('phases pass a CNOT on its control, but not a barrier', () => {
    const u = { gate: 'u' as const, qubits: [0], params: [0.7, 0.3, -1.1] };
    const cx = { gate: 'cx' as const, qubits: [0, 1] };
    const barrier = { gate: 'barrier' as const, qubits: [0, 1] };
    // each u: phase · real 2×2 · phase; the first u's last phase passes the CNOT (control 0) and
    // merges with the second u's first phase — unless a barrier stands between them
    const kinds = (operations: Array<typeof u | typeof cx | typeof barrier>) =>
      compileSimd({ numQubits: 15, operations }).map((o) => o.kind);
    expect(kinds([u, cx, u])).toEqual(['d1', 'r1', 'x', 'd1', 'r1', 'd1']);
    expect(kinds([u, cx, barrier, u])).toEqual(['d1', 'r1', 'x', 'd1', 'd1', 'r1', 'd1']);
  });

  it('a phase table: SIMD and JavaScript bit-identical, block by block (any offset) as on the whole state; its inverse undoes it', () => {
    const rng = createRng(3);
    const n = 15;
    const circuit = randomCircuit(rng, n, 120, ['rz', 'rx', 'cx', 'u']);
    const tables = compileSimd(circuit).filter((o): o is Op & { kind: 'dtab' } => o.kind === 'dtab');
    expect(tables.length).toBeGreaterThan(0);
    const state = randomState(rng, n);
    for (const op of tables) {
      const { reference: js } = referenceAndCopy(n, state, [op], false);
      const { reference: simd, ws } = referenceAndCopy(n, state, [op], true);
      expect(Array.from(simd)).toEqual(Array.from(js));
      for (const block of [1, 4, 64, 2 ** 10]) {
        const a = ws.states[0] as Float64Array;
        a.set(state);
        for (let off = 0; off < 2 ** n; off += block) {
          const b = a.subarray(2 * off, 2 * (off + block));
          applyPhaseTable(b, block, off, op.desc);
        }
        expect(Array.from(a), `blocks of ${block}`).toEqual(Array.from(js));
      }
      const back = new Float64Array(js);
      applyOps(back, n, [inverseOp(op)]);
      expect(maxDiff(back, state)).toBeLessThan(1e-14);
    }
  });

  it('2 and 4 threads run phase tables bit-identical to one thread (QCBM and random circuits, n = 15)', async () => {
    pools.push(new ThreadPool(2), new ThreadPool(4), new ThreadPool(2, 3));
    const rng = createRng(8);
    const n = 15;
    for (const circuit of [qcbmCircuit(n), randomCircuit(rng, n, 150, ['u', 'cx', 'rz', 'rx', 'ry'])]) {
      const ops = compileSimd(circuit);
      expect(ops.some((o) => o.kind === 'dtab')).toBe(true);
      for (const pool of pools) {
        const state = randomState(rng, n);
        const { reference, copy, ws } = referenceAndCopy(n, state, ops, true);
        const before = pool.stats.parallel;
        await pool.run(copy, n, ops, ws);
        expect(pool.stats.parallel - before).toBeGreaterThan(0);
        expect(Array.from(copy)).toEqual(Array.from(reference));
      }
    }
  });

  it('threads on a state without a table area (forced tables below 15 qubits) run the tables on the calling thread', async () => {
    const pool = new ThreadPool(2);
    pools.push(pool);
    const n = 8;
    const ops = compileSimd(qcbmCircuit(n), { tables: true });
    expect(ops.some((o) => o.kind === 'dtab')).toBe(true);
    const { reference, copy, ws } = referenceAndCopy(n, randomState(createRng(2), n), ops, true);
    expect(ws.wasm?.tables.capacity).toBe(0);
    const serial = pool.stats.serial;
    await pool.run(copy, n, ops, ws);
    expect(pool.stats.serial - serial).toBe(ops.filter((o) => o.kind === 'dtab').length);
    expect(Array.from(copy)).toEqual(Array.from(reference));
  });

  it('split states build each chunk its own tables: the unfused state to 1e-12 (chunks of 12 and 15, one and 2 threads)', async () => {
    const pool = new ThreadPool(2);
    pools.push(pool);
    const rng = createRng(13);
    const n = 17;
    for (const circuit of [qcbmCircuit(n), randomCircuit(rng, n, 150, ['u', 'cx', 'rz', 'rx', 'ry', 'h'])]) {
      const ops = compileSimd(circuit);
      expect(ops.some((o) => o.kind === 'dtab')).toBe(true);
      const ref = new Float64Array(2 << n);
      ref[0] = 1;
      applyOps(ref, n, compileOps(circuit, { fuse: false }));
      for (const [c, threads] of [
        [12, undefined],
        [15, undefined],
        [15, pool],
      ] as const) {
        const s = new SplitState(n, c, 2 ** 30);
        s.reset();
        await s.run(ops, { threads, threadMinQubits: 15 });
        expect(maxDiff(s.toArray(), ref), `chunks of ${c}, ${threads ? 2 : 1} thread(s)`).toBeLessThan(1e-12);
        if (threads) {
          const one = new SplitState(n, c, 2 ** 30);
          one.reset();
          await one.run(ops);
          expect(Array.from(s.toArray()), 'threads bit-identical to one').toEqual(Array.from(one.toArray()));
        }
      }
    }
  });

  it('the table area places each desc once and forgets every placement when it wraps around', () => {
    const mem = new Float64Array(64);
    const area = new TableArea(mem.subarray(8, 40));
    const d = (v: number, len: number) => new Float64Array(len).fill(v);
    const a = d(1, 10);
    const b = d(2, 11);
    const c = d(3, 12);
    expect(area.place(a)).toBe(64);
    expect(area.place(a)).toBe(64);
    expect(area.place(b)).toBe(64 + 80);
    expect(mem[8 + 10]).toBe(2);
    // 10 + 12 (11 rounded up to an even count) + 12 > 32: c starts the area over
    expect(area.place(c)).toBe(64);
    expect(mem[8]).toBe(3);
    expect(area.place(a)).toBe(64 + 96);
    expect(area.place(d(0, 33))).toBe(-1);
    expect(area.capacity).toBe(32);
  });
});
