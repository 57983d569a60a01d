import { describe, expect, it } from 'vitest';
import { ValidationError } from '../shared/errors.js';
import { createRng } from '../shared/random.js';
import { simulate } from './reference-sim.test-helper.js';
import { prepareRealState } from './state-preparation.js';

function amplitudesOf(numQubits: number, ops: ReturnType<typeof prepareRealState>) {
  const state = simulate({ numQubits, operations: ops });
  return state;
}

describe('prepareRealState', () => {
  it('prepares random real states (signs included) exactly, on 1 to 6 qubits', () => {
    const rng = createRng(42);
    for (let n = 1; n <= 6; n++) {
      for (let trial = 0; trial < 5; trial++) {
        const target = Array.from({ length: 2 ** n }, () => rng.normal());
        const norm = Math.hypot(...target);
        const state = amplitudesOf(n, prepareRealState(target));
        for (let i = 0; i < 2 ** n; i++) {
          expect(state.re[i]).toBeCloseTo((target[i] as number) / norm, 12);
          expect(state.im[i]).toBeCloseTo(0, 12);
        }
      }
    }
  });

  it('handles sparse targets (zero blocks) and uses 2^n − 1 rotations and 2^n − 2 CNOTs', () => {
    const target = [0, 0, 0, 0, 0, 3, 0, -4];
    const ops = prepareRealState(target);
    const state = amplitudesOf(3, ops);
    expect(state.re[5]).toBeCloseTo(0.6, 12);
    expect(state.re[7]).toBeCloseTo(-0.8, 12);
    expect(ops.filter((op) => op.gate === 'ry')).toHaveLength(7);
    expect(ops.filter((op) => op.gate === 'cx')).toHaveLength(6);
  });

  it('places the register at an offset', () => {
    const ops = prepareRealState([0, 1], { offset: 2 });
    const state = simulate({ numQubits: 3, operations: ops });
    expect(state.re[4]).toBeCloseTo(1, 12);
  });

  it('rejects lengths that are not powers of two, non-finite values and the zero vector', () => {
    expect(() => prepareRealState([1, 2, 3])).toThrow(ValidationError);
    expect(() => prepareRealState([1, Number.NaN])).toThrow(/amplitudes\[1\]/);
    expect(() => prepareRealState([0, 0])).toThrow(ValidationError);
  });
});
