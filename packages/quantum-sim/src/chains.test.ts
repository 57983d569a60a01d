import { createRng } from '@q-store/core';
import { afterAll, describe, expect, it } from 'vitest';
import { qcbmCircuit } from '../bench/circuits.js';
import {
  applyChain,
  CHAIN_MAX_QUBITS,
  CHAIN_MIN_QUBITS,
  CHAIN_MIN_QUBITS_THREADS,
  type Chain,
  chainOps,
  chainsFor,
} from './chains.js';
import { BLOCK_QUBITS, execute, segments } from './executor.js';
import { applyOp, type Op } from './ops.js';
import { compileSimd } from './program.js';
import { randomState, referenceAndCopy } from './random-circuits.test-helper.js';
import { ThreadPool } from './threads.js';
import { Workspace } from './workspace.js';

const pools = [new ThreadPool(2), new ThreadPool(4)];
afterAll(async () => {
  for (const p of pools) await p.close();
});

type Rng = ReturnType<typeof createRng>;

/** A random real 2×2 (rotation or reflection with random signs). */
function real2(rng: Rng): Float64Array {
  const x = 2 * Math.PI * rng.float();
  const s = rng.float() < 0.5 ? -1 : 1;
  return Float64Array.of(Math.cos(x), -Math.sin(x) * s, Math.sin(x), Math.cos(x) * s);
}

/** r1 or muxr on target t with control c (r1 when c is undefined). */
function link(rng: Rng, t: number, c?: number): Op {
  return c === undefined
    ? { kind: 'r1', q: t, m: real2(rng) }
    : { kind: 'muxr', q: t, c, m0: real2(rng), m1: real2(rng) };
}

/** Words where a and b differ (bit for bit; a deep equality of millions of numbers is slow). */
function differing(a: Float64Array, b: Float64Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) d++;
  return d + Math.abs(a.length - b.length);
}

const chainsIn = (list: ReadonlyArray<Op | Chain>) => list.filter((x): x is Chain => x.kind === 'rchain');

describe('chains (real 2×2s on consecutive qubits in one pass)', () => {
  it('gather the QCBM ring folded into its rotations above the blocks; expanded, they are the ops again', () => {
    const n = 24;
    const ops = compileSimd(qcbmCircuit(n));
    const list = chainOps(ops, BLOCK_QUBITS, n);
    const chains = chainsIn(list);
    // each of the 10 layers: muxr 14:13 … muxr 23:22 (10 ops) in chains of 4, 4 and 2; the last
    // layer's r1s on 14 … 23 likewise
    expect(chains.map((c) => c.k)).toEqual(Array.from({ length: 11 }, () => [4, 4, 2]).flat());
    for (const c of chains) {
      expect(c.q).toBeGreaterThanOrEqual(BLOCK_QUBITS);
      expect(c.q + c.k).toBeLessThanOrEqual(n);
      expect(c.ops.map((op) => (op as { q: number }).q)).toEqual(Array.from({ length: c.k }, (_, i) => c.q + i));
    }
    expect(list.flatMap((x) => (x.kind === 'rchain' ? x.ops : [x]))).toEqual(ops);
    // below the shares' top bit (2 threads: qubit 23) the last chain of each layer stops at 22
    const below = chainsIn(chainOps(ops, BLOCK_QUBITS, n - 1));
    expect(below.every((c) => c.q + c.k <= n - 1)).toBe(true);
  });

  it('the rchain kernel is bit-identical to its ops one by one (controls inside the window and below it)', () => {
    const rng = createRng(21);
    const n = 12;
    let chained = 0;
    for (let trial = 0; trial < 60; trial++) {
      const k = 2 + Math.floor(rng.float() * (CHAIN_MAX_QUBITS - 1));
      const q = 4 + Math.floor(rng.float() * (n - k - 4 + 1));
      const ops: Op[] = [];
      for (let i = 0; i < k; i++) {
        const t = q + i;
        const r = rng.float();
        // no control, a control inside the window (any of its other qubits), one below it (4 … q − 1)
        const inside = q + ((i + 1 + Math.floor(rng.float() * (k - 1))) % k);
        const c = r < 0.3 ? undefined : r < 0.65 ? inside : 4 + Math.floor(rng.float() * (q - 4));
        ops.push(link(rng, t, c === t ? undefined : c));
      }
      const list = chainOps(ops, 0, n);
      const chains = chainsIn(list);
      expect(chains.length, JSON.stringify(ops.map((op) => [op.kind, (op as { c?: number }).c]))).toBe(1);
      chained += (chains[0] as Chain).k;
      const state = randomState(rng, n);
      const { reference, copy, ws } = referenceAndCopy(n, state, ops, true);
      // the kernel, and its fallback without room for the desc (the ops one by one, JavaScript kernels)
      const plain = new Workspace(n, 1, 2 ** 30, false).states[0] as Float64Array;
      plain.set(state);
      for (const x of list) {
        if (x.kind === 'rchain') {
          applyChain(copy, 2 ** n, x, ws.wasm);
          applyChain(plain, 2 ** n, x);
        } else {
          applyOp(copy, 2 ** n, x, ws.wasm);
          applyOp(plain, 2 ** n, x);
        }
      }
      expect(Array.from(copy)).toEqual(Array.from(reference));
      expect(Array.from(plain)).toEqual(Array.from(reference));
    }
    expect(chained).toBeGreaterThan(60 * 2);
  });

  it('a control above the window, or one below it too low for a run of 16, ends the chain', () => {
    const rng = createRng(3);
    // 7's control 9 lies above the windows 6 … 8 and 7 … 8: no chain holds it, so 6 stays alone
    // and 7 too; with an op on 9 the window 6 … 9 holds it
    const above = [link(rng, 6, 5), link(rng, 7, 9), link(rng, 8)];
    expect(chainsIn(chainOps(above, 0, 12))).toEqual([]);
    expect(chainsIn(chainOps([...above, link(rng, 9)], 0, 12)).map((c) => [c.q, c.k])).toEqual([[6, 4]]);
    const low = [link(rng, 6, 2), link(rng, 7, 6)];
    expect(chainsIn(chainOps(low, 0, 12))).toEqual([]);
    // the bound: no chain reaches `belowQubit`
    expect(chainsIn(chainOps([link(rng, 6), link(rng, 7), link(rng, 8)], 0, 8)).map((c) => [c.q, c.k])).toEqual([
      [6, 2],
    ]);
  });

  it(`one thread from n = ${CHAIN_MIN_QUBITS}: execute runs chains, bit-identical to op by op`, async () => {
    const n = CHAIN_MIN_QUBITS;
    const ops = compileSimd(qcbmCircuit(n)).slice(0, 60);
    expect(chainsIn(chainOps(ops, BLOCK_QUBITS, n)).length).toBeGreaterThan(2);
    // a dense state without 2^23 random draws
    const state = new Float64Array(2 << n).map((_, i) => Math.sin(i * 0.618) / 2 ** 11);
    const { reference, copy, ws } = referenceAndCopy(n, state, ops, true);
    const wasm = ws.wasm as NonNullable<typeof ws.wasm>;
    let calls = 0;
    const rchain = wasm.rchain;
    wasm.rchain = (...args) => {
      calls++;
      rchain(...args);
    };
    await execute(copy, n, ops, wasm);
    expect(calls).toBe(chainsIn(chainOps(ops, BLOCK_QUBITS, n)).length);
    expect(differing(copy, reference)).toBe(0);
  });

  for (const pool of pools)
    it(`${pool.threads} threads run chains in their share rounds, bit-identical to one thread (QCBM, n = ${CHAIN_MIN_QUBITS_THREADS})`, async () => {
      const n = CHAIN_MIN_QUBITS_THREADS;
      const ops = compileSimd(qcbmCircuit(n));
      const state = new Float64Array(2 << n).map((_, i) => Math.cos(i * (0.3 + pool.threads)) / 2 ** 10);
      const { reference, copy, ws } = referenceAndCopy(n, state, ops, true);
      // chains inside the shares and, on the top two qubits, in owned rounds (each thread its tiles)
      const expected = segments(ops, n, BLOCK_QUBITS)
        .filter((seg) => !seg.blocked)
        .flatMap((seg) => chainsIn(chainsFor(seg.ops, n, pool.threads, BLOCK_QUBITS)));
      // (each of the 10 layers' muxr n−2 : n−3, muxr n−1 : n−2, and the last layer's r1s there)
      expect(expected.filter((c) => c.q === n - 2 && c.k === 2).length).toBe(11);
      const before = pool.stats.chains;
      await pool.run(copy, n, ops, ws);
      expect(pool.stats.chains - before).toBe(expected.length);
      expect(differing(copy, reference)).toBe(0);
    });
});
