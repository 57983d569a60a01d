import { createRng } from '@q-store/core';
import { afterAll, describe, expect, it } from 'vitest';
import { qcbmCircuit } from '../bench/circuits.js';
import { compileOps } from './program.js';
import { randomCircuit, randomState, referenceAndCopy } from './random-circuits.test-helper.js';
import { StateVectorSimulator } from './state-vector-simulator.js';
import { ThreadPool } from './threads.js';

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
        for (const fuseQubits of [1, 2]) {
          const ops = compileOps(circuit, { fuseQubits });
          const state = randomState(rng, n);
          const { reference: a1, copy: aT, ws: many } = referenceAndCopy(n, state, ops, true);
          const before = pool.stats.parallel;
          const roundsBefore = pool.stats.rounds;
          await pool.run(aT, n, ops, many);
          if (c === 2) {
            // consecutive split ops share a round: far fewer barriers than ops
            expect(pool.stats.rounds - roundsBefore).toBeLessThan((pool.stats.parallel - before) / 4);
          }
          expect(pool.stats.parallel - before, 'ops were split over the threads').toBeGreaterThan(
            c === 2 ? ops.length / 2 : 0, // the QCBM is all SIMD kernels; random circuits mix in JavaScript ones
          );
          expect(Array.from(aT)).toEqual(Array.from(a1));
        }
      }
    });
  }
});
