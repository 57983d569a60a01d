import { createRng } from '@q-store/core';
import { describe, expect, it } from 'vitest';
import { qcbmCircuit } from '../bench/circuits.js';
import { execute, segments } from './executor.js';
import type { Op } from './ops.js';
import { compileOps } from './program.js';
import { randomCircuit, randomState, referenceAndCopy } from './random-circuits.test-helper.js';

describe('cache blocking', () => {
  it('gives bit-identical states to op-by-op application (random circuits, QCBM; JavaScript and SIMD)', async () => {
    const rng = createRng(31);
    const n = 9;
    const circuits = [randomCircuit(rng, n, 120), qcbmCircuit(n)];
    for (const circuit of circuits) {
      for (const fuseQubits of [1, 2]) {
        const ops = compileOps(circuit, { fuseQubits });
        for (const blockQubits of [2, 4, 5, 7]) {
          for (const wasm of [true, false]) {
            if (blockQubits === 4 || blockQubits === 5)
              expect(segments(ops, n, blockQubits).some((s) => s.blocked)).toBe(true);
            const state = randomState(rng, n);
            const { reference: r, copy: b, ws: blk } = referenceAndCopy(n, state, ops, wasm);
            await execute(b, n, ops, blk.wasm, undefined, undefined, blockQubits);
            expect(Array.from(b)).toEqual(Array.from(r));
          }
        }
      }
    }
  });

  it('a CNOT from above the blocks into them runs inside the blocked run: X or nothing per block', async () => {
    const rng = createRng(9);
    const n = 10;
    const blockQubits = 4;
    const r1 = (q: number): Op => ({ kind: 'r1', q, m: Float64Array.of(0.6, -0.8, 0.8, 0.6) });
    const ops: Op[] = [
      r1(0),
      { kind: 'x', controls: 1 << 8, q: 2 },
      r1(3),
      { kind: 'x', controls: 1 << 4, q: 1 },
      r1(1),
    ];
    expect(segments(ops, n, blockQubits)).toEqual([{ ops, blocked: true }]);
    for (const wasm of [true, false]) {
      const { reference, copy, ws } = referenceAndCopy(n, randomState(rng, n), ops, wasm);
      await execute(copy, n, ops, ws.wasm, undefined, undefined, blockQubits);
      expect(Array.from(copy)).toEqual(Array.from(reference));
    }
  });
});
