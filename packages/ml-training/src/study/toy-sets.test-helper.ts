import { ValidationError } from '@q-store/core';
import { expect } from 'vitest';
import { LegacyRandomState } from './random-state.js';

/** Rows whose per-feature min/max are −1/+1 (MinMax scaling is then v ↦ v·scale), labels alternating from −1. */
export function unitRange(d: number, extra: number[][] = []): { x: number[][]; y: number[] } {
  const x = [new Array(d).fill(-1), new Array(d).fill(1), ...extra];
  return { x, y: x.map((_, i) => (i % 2 === 0 ? -1 : 1)) };
}

/** n points uniform in [−1, 1]^d, labelled by the side of the plane Σx = 0, none within 0.3 of it. */
export function marginSplit(n: number, d: number, seed: number): { x: number[][]; y: number[] } {
  const r = new LegacyRandomState(seed);
  const x: number[][] = [];
  const y: number[] = [];
  while (x.length < n) {
    const p = Array.from({ length: d }, () => r.uniform(-1, 1));
    const s = p.reduce((a, b) => a + b, 0);
    if (Math.abs(s) < 0.3) continue;
    x.push(p);
    y.push(s > 0 ? 1 : -1);
  }
  return { x, y };
}

/** The field a ValidationError names (failing the test when f throws anything else). */
export function invalidField(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).field;
  }
  return 'no error';
}
