import { Circuit, type EstimateResult } from '@q-store/core';
import { describe, expect, it } from 'vitest';
import { StateVectorSimulator } from './state-vector-simulator.js';
import { WorkspacePool } from './workspace.js';

describe('WorkspacePool', () => {
  it('hands a released small workspace to the next call of the same shape, never to two at once', () => {
    const pool = new WorkspacePool(2 ** 30);
    const a = pool.acquire(4, 1, true);
    const b = pool.acquire(4, 1, true);
    expect(b).not.toBe(a);
    pool.release(a);
    expect(pool.acquire(4, 1, true)).toBe(a);
    expect(pool.acquire(4, 2, true)).not.toBe(a);
    expect(pool.acquire(4, 1, false)).not.toBe(a);
  });

  it('drops workspaces above the retained sizes', () => {
    const pool = new WorkspacePool(2 ** 30, 2 ** 10, 4, 2 ** 10);
    const big = pool.acquire(8, 1, true); // 4 KiB
    pool.release(big);
    expect(pool.acquire(8, 1, true)).not.toBe(big);
  });

  it('keeps the last large workspace (up to largeBytes) for the next call of its shape; clear drops it', () => {
    const pool = new WorkspacePool(2 ** 30, 2 ** 10, 4, 2 ** 16);
    const big = pool.acquire(11, 1, false); // 32 KiB: above retainBytes, below largeBytes
    pool.release(big);
    expect(pool.acquire(10, 1, false)).not.toBe(big);
    const again = pool.acquire(11, 1, false);
    expect(again).toBe(big);
    expect(pool.acquire(11, 1, false), 'one call at a time').not.toBe(big);
    pool.release(again);
    pool.clear();
    expect(pool.acquire(11, 1, false)).not.toBe(big);
    const huge = pool.acquire(13, 1, false); // 128 KiB: above largeBytes
    pool.release(huge);
    expect(pool.acquire(13, 1, false)).not.toBe(huge);
  });

  it('a new workspace skips the first fill of its first state only (its memory is still zero)', () => {
    const pool = new WorkspacePool(2 ** 30);
    const ws = pool.acquire(4, 2, true);
    expect(Array.from(ws.states[0] as Float64Array).every((v) => v === 0)).toBe(true);
    expect(ws.takeFresh(ws.states[1] as Float64Array)).toBe(false);
    const other = pool.acquire(4, 2, true);
    expect(other.takeFresh(other.states[0] as Float64Array)).toBe(true);
    expect(other.takeFresh(other.states[0] as Float64Array), 'once').toBe(false);
    const third = pool.acquire(4, 1, true);
    pool.release(third);
    expect(pool.acquire(4, 1, true).takeFresh(third.states[0] as Float64Array), 'not after a call used it').toBe(false);
  });

  it('a kept large workspace is cleared before the next call (16 qubits, |1…1⟩ then H·H)', async () => {
    const sim = new StateVectorSimulator({ threads: 1 });
    const n = 16;
    const ones = new Circuit(n);
    for (let q = 0; q < n; q++) ones.x(q);
    const z = [[{ coefficient: 1, paulis: `${'I'.repeat(n - 1)}Z` }]];
    expect((await sim.estimate({ circuit: ones.toJSON(), observables: z })).values[0]).toBe(-1);
    const hh = new Circuit(n).h(0).h(0).toJSON();
    expect((await sim.estimate({ circuit: hh, observables: z })).values[0]).toBeCloseTo(1, 14);
    await sim.close();
  });

  it('reused state vectors give the same results as fresh ones, also for concurrent calls', async () => {
    const sim = new StateVectorSimulator();
    const obs = [[{ coefficient: 1, paulis: 'IIIZ' }], [{ coefficient: 1, paulis: 'ZIII' }]];
    const circuit = (t: number) => new Circuit(4).ry(0, t).cx(0, 1).cx(1, 2).cx(2, 3).toJSON();
    const angles = [0.1, 0.7, 1.3, 2.9, -0.4];
    const results = await Promise.all(angles.map((t) => sim.estimate({ circuit: circuit(t), observables: obs })));
    const again: EstimateResult[] = [];
    for (const t of angles) again.push(await sim.estimate({ circuit: circuit(t), observables: obs }));
    angles.forEach((t, i) => {
      expect(results[i]?.values[0]).toBeCloseTo(Math.cos(t), 12);
      expect(results[i]?.values[1]).toBeCloseTo(Math.cos(t), 12);
      expect(again[i]?.values).toEqual(results[i]?.values);
    });
    // A sample after an estimate on the same pooled workspace starts from |0000⟩.
    const [s] = await sim.sample({ circuits: [new Circuit(4).x(3).toJSON()], shots: 10, seed: 1 });
    expect(s?.counts).toEqual({ '1000': 10 });
  });
});
