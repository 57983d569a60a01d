import { createRng } from '@q-store/core';
import { afterAll, describe, expect, it } from 'vitest';
import { qcbmCircuit } from '../bench/circuits.js';
import type { Op } from './ops.js';
import { compileOps } from './program.js';
import { randomCircuit, randomState, referenceAndCopy } from './random-circuits.test-helper.js';
import { StateVectorSimulator } from './state-vector-simulator.js';
import { applyWords, runShare, ThreadPool, topSplit } from './threads.js';

const pools = [new ThreadPool(2), new ThreadPool(4), new ThreadPool(2, 3), new ThreadPool(4, 4)]; // (threads, block qubits)
afterAll(async () => {
  for (const p of pools) await p.close();
});

describe('threads', () => {
  it('the simulator with 2 threads gives the same estimate bits as with 1 (QCBM, n = 14)', async () => {
    const circuit = qcbmCircuit(14);
    const observables = [
      [{ coefficient: 1, paulis: `${'I'.repeat(13)}Z` }],
      [{ coefficient: 1, paulis: `Z${'I'.repeat(13)}` }],
    ];
    const one = await new StateVectorSimulator({ threads: 1 }).estimate({ circuit, observables });
    const two = new StateVectorSimulator({ threads: 2, threadMinQubits: 14 });
    const r = await two.estimate({ circuit, observables });
    await two.close();
    expect(r.values).toEqual(one.values);
    expect(() => new StateVectorSimulator({ threads: 0 })).toThrow(/threads/);
  });

  for (const pool of pools) {
    it(`${pool.threads} threads (pool ${pools.indexOf(pool)}) give bit-identical states to one thread (random circuits, QCBM)`, async () => {
      const rng = createRng(40 + pool.threads);
      const n = 8;
      const circuits = [
        randomCircuit(rng, n, 80),
        randomCircuit(rng, n, 80, ['u', 'cx', 'rx', 'rz', 'ry', 'h', 'rxx', 'ryy']),
        qcbmCircuit(n),
      ];
      for (const [c, circuit] of circuits.entries()) {
        for (const [fuseQubits, fold] of [
          [1, false],
          [2, false],
          [2, true],
        ] as const) {
          // fold: CNOTs folded into 2×2s (mux ops) below the top qubits, as the simulator compiles
          const ops = compileOps(circuit, { fuseQubits, foldBelow: fold ? n - Math.log2(pool.threads) : undefined });
          if (fold && c === 2)
            expect(
              ops.some((op) => op.kind === 'mux'),
              'the QCBM has folded CNOTs',
            ).toBe(true);
          const state = randomState(rng, n);
          const { reference: a1, copy: aT, ws: many } = referenceAndCopy(n, state, ops, true);
          const before = pool.stats.parallel;
          const roundsBefore = pool.stats.rounds;
          const topBefore = pool.stats.topSplit;
          const serialBefore = pool.stats.serial;
          await pool.run(aT, n, ops, many);
          const top = pool.stats.topSplit - topBefore;
          if (c === 2) {
            // consecutive split ops share a round: far fewer barriers than ops (a top-qubit op is a round of its own)
            expect(pool.stats.rounds - roundsBefore - top).toBeLessThan((pool.stats.parallel - before - top) / 4);
            // the CNOTs of the ring that touch a top qubit are split over the threads too
            expect(top).toBeGreaterThan(0);
            // …and so are its rotations on the top qubits: nothing runs on the calling thread alone
            expect(pool.stats.serial - serialBefore).toBe(0);
          }
          expect(pool.stats.parallel - before, 'ops were split over the threads').toBeGreaterThan(
            c === 2 ? ops.length / 2 : 0, // the QCBM is all SIMD kernels; random circuits mix in JavaScript ones
          );
          expect(Array.from(aT)).toEqual(Array.from(a1));
        }
      }
    });
  }

  it('ops on the top qubits are split by a lower bit: every CNOT, 2×2 and diagonal case bit-identical to one thread', async () => {
    const rng = createRng(7);
    const n = 8;
    for (const pool of [pools[0], pools[1]] as ThreadPool[]) {
      const T = pool.threads;
      const top = n - Math.log2(T);
      const ops: Op[] = [];
      for (let c = 0; c < n; c++) {
        for (let t = 0; t < n; t++) {
          if (c !== t && Math.max(c, t) >= top) ops.push({ kind: 'x', controls: 1 << c, q: t });
        }
      }
      for (let q = top; q < n; q++) {
        ops.push({ kind: 'd1', q, m: Float64Array.of(0.6, 0.8, -0.28, 0.96) });
        ops.push({ kind: 'u1', q, m: Float64Array.of(0.6, 0.1, -0.2, 0.3, 0.2, 0.3, 0.6, -0.1) });
        ops.push({ kind: 'r1', q, m: Float64Array.of(0.6, -0.8, 0.8, 0.6) });
      }
      // every op on a top qubit runs on all the threads: none is left to the calling thread alone
      expect(ops.filter((op) => topSplit(op, n, T, 0, 0) === undefined)).toEqual([]);
      for (const op of ops) {
        const { reference, copy, ws } = referenceAndCopy(n, randomState(rng, n), [op], true);
        const before = pool.stats.topSplit;
        await pool.run(copy, n, [op], ws);
        expect(pool.stats.topSplit - before).toBe(1);
        expect(Array.from(copy), JSON.stringify({ ...op, m: undefined })).toEqual(Array.from(reference));
      }
      // all of them at once: consecutive top-qubit ops that avoid the split bits share a round
      const { reference, copy, ws } = referenceAndCopy(n, randomState(rng, n), ops, true);
      const rounds = pool.stats.rounds;
      await pool.run(copy, n, ops, ws);
      expect(pool.stats.rounds - rounds).toBeLessThan(ops.length / 2);
      expect(Array.from(copy)).toEqual(Array.from(reference));
    }
  });

  it('share rounds hand out blocks: a thread that finds its share taken helps with the others, bit-identical', () => {
    // two phases of real 2×2s on the blocks of a 2-thread share round (blocks of 16 then 32
    // amplitudes), run by "thread 1" to the end before "thread 0" starts: thread 1 takes every
    // block of both shares, thread 0 finds nothing left, and the state is the one-thread state
    const rng = createRng(5);
    const n = 8;
    const r1 = (q: number, x: number): Op & { kind: 'r1' } => ({
      kind: 'r1',
      q,
      m: Float64Array.of(Math.cos(x), -Math.sin(x), Math.sin(x), Math.cos(x)),
    });
    const phases: Array<[Array<Op & { kind: 'r1' }>, number]> = [
      [[r1(0, 0.3), r1(3, 0.7), r1(1, 1.1)], 16],
      [[r1(4, 0.2), r1(2, 0.5)], 32],
    ];
    const ops = phases.flatMap(([list]) => list);
    const { reference, copy, ws } = referenceAndCopy(n, randomState(rng, n), ops, true);
    const wasm = ws.wasm;
    if (!wasm) throw new Error('no SIMD kernels');
    const o = new Float64Array(8 + 20 * ops.length);
    o[1] = copy.byteOffset;
    o[3] = ops.length;
    o[4] = 2 ** n / 2;
    o[6] = 1;
    let p = 8;
    for (const [list, block] of phases)
      for (const op of list) {
        o[p] = 2;
        o[p + 1] = op.q;
        o.set(op.m, p + 3);
        o[p + 19] = block;
        p += 20;
      }
    const sync = new Int32Array(new SharedArrayBuffer(4 * 2 * 2 * 2));
    runShare(applyWords, wasm, o, sync, 1, 2, 60_000);
    // [claimed, done] per (phase, share): every block of both shares done by thread 1
    expect(Array.from(sync)).toEqual([9, 8, 9, 8, 5, 4, 5, 4]);
    const state = Array.from(copy);
    runShare(applyWords, wasm, o, sync, 0, 2, 60_000); // nothing left: thread 0 claims nothing, changes nothing
    expect(Array.from(sync)).toEqual([9, 8, 9, 8, 5, 4, 5, 4]);
    expect(Array.from(copy)).toEqual(state);
    expect(Array.from(copy)).toEqual(Array.from(reference));
    // a share whose previous phase never finishes (its thread died): the helper stops with an
    // error after the stall time instead of waiting for ever (phase 0 one block per share, so
    // each thread runs its own; thread 0 never does)
    o[8 + 19] = o[8 + 20 + 19] = o[8 + 40 + 19] = 2 ** n / 2;
    sync.fill(0);
    expect(() => runShare(applyWords, wasm, o, sync, 1, 2, 50)).toThrow(/no progress/);
  });

  it('tiny states (1-4 qubits, 2 and 4 threads): every 2×2, diagonal and CNOT bit-identical to one thread', async () => {
    const rng = createRng(11);
    for (const pool of [pools[0], pools[1]] as ThreadPool[]) {
      for (let n = 1; n <= 4; n++) {
        const ops: Op[] = [];
        for (let q = 0; q < n; q++) {
          ops.push({ kind: 'd1', q, m: Float64Array.of(0.6, 0.8, -0.28, 0.96) });
          ops.push({ kind: 'u1', q, m: Float64Array.of(0.6, 0.1, -0.2, 0.3, 0.2, 0.3, 0.6, -0.1) });
          ops.push({ kind: 'r1', q, m: Float64Array.of(0.6, -0.8, 0.8, 0.6) });
          for (let t = 0; t < n; t++) if (t !== q) ops.push({ kind: 'x', controls: 1 << q, q: t });
        }
        for (const list of [...ops.map((op) => [op]), ops]) {
          const { reference, copy, ws } = referenceAndCopy(n, randomState(rng, n), list, true);
          await pool.run(copy, n, list, ws);
          expect(Array.from(copy)).toEqual(Array.from(reference));
        }
      }
    }
  });
});
