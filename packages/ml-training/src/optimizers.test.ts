import { ValidationError } from '@q-store/core';
import { describe, expect, it } from 'vitest';
import { Adam, type GradientOptimizer, Sgd, Spsa } from './optimizers.js';

/** f(θ) = Σ w_i (θ_i − t_i)², minimum at t. */
const weights = [1, 4, 0.25];
const target = [1.5, -2, 0.5];
const f = (p: Float64Array) => p.reduce((s, x, i) => s + (weights[i] as number) * (x - (target[i] as number)) ** 2, 0);
const grad = (p: Float64Array) =>
  Float64Array.from(p, (x, i) => 2 * (weights[i] as number) * (x - (target[i] as number)));

function run(optimizer: GradientOptimizer, steps: number, start: Float64Array = new Float64Array(3)): Float64Array {
  const p = Float64Array.from(start);
  for (let k = 0; k < steps; k++) optimizer.step(p, grad(p));
  return p;
}

describe('Adam', () => {
  it('first step is lr·g/(|g| + ε) ≈ lr·sign(g) per component', () => {
    const p = Float64Array.of(0, 0, 0);
    new Adam({ learningRate: 0.1 }).step(p, Float64Array.of(3, -0.002, 40));
    expect(p[0]).toBeCloseTo(-0.1 * (3 / (3 + 1e-8)), 15);
    expect(p[1]).toBeCloseTo(0.1 * (0.002 / (0.002 + 1e-8)), 15);
    expect(p[2]).toBeCloseTo(-0.1, 8);
  });

  it('converges on a quadratic', () => {
    const p = run(new Adam({ learningRate: 0.05 }), 2000);
    for (let i = 0; i < 3; i++) expect(p[i]).toBeCloseTo(target[i] as number, 4);
    expect(f(p)).toBeLessThan(1e-8);
  });
});

describe('SGD with momentum', () => {
  it('follows v ← μv + g, θ ← θ − lr·v exactly', () => {
    const opt = new Sgd({ learningRate: 0.1, momentum: 0.9 });
    const p = Float64Array.of(1);
    opt.step(p, Float64Array.of(2)); // v = 2, θ = 1 − 0.2
    expect(p[0]).toBeCloseTo(0.8, 15);
    opt.step(p, Float64Array.of(1)); // v = 0.9·2 + 1 = 2.8, θ = 0.8 − 0.28
    expect(p[0]).toBeCloseTo(0.52, 15);
  });

  it('converges on a quadratic, faster with momentum than without', () => {
    const plain = run(new Sgd({ learningRate: 0.01 }), 200);
    const momentum = run(new Sgd({ learningRate: 0.01, momentum: 0.9 }), 200);
    expect(f(momentum)).toBeLessThan(1e-6);
    expect(f(momentum)).toBeLessThan(f(plain));
    expect(
      run(new Sgd({ learningRate: 0.01, momentum: 0.9, nesterov: true }), 300).every(
        (x, i) => Math.abs(x - (target[i] as number)) < 1e-3,
      ),
    ).toBe(true);
  });
});

describe('SPSA', () => {
  it('minimises a quadratic from loss values only', async () => {
    const opt = new Spsa({ learningRate: 0.1, perturbation: 0.1, stability: 10, seed: 3 });
    const p = new Float64Array(3);
    const start = f(p);
    for (let k = 0; k < 600; k++) await opt.step(p, async (x) => f(x));
    expect(opt.steps).toBe(600);
    expect(f(p)).toBeLessThan(start * 1e-3);
  });
});

describe('optimizer state', () => {
  it('save after 5 steps, restore into a fresh instance, 5 more = 10 uninterrupted, bit for bit', async () => {
    const makers: Array<() => GradientOptimizer> = [
      () => new Adam({ learningRate: 0.03 }),
      () => new Sgd({ learningRate: 0.02, momentum: 0.8 }),
    ];
    for (const make of makers) {
      const whole = run(make(), 10);
      const first = make();
      const half = run(first, 5);
      const saved = JSON.parse(JSON.stringify(first.state()));
      const second = make();
      second.restore(saved);
      expect(second.steps).toBe(5);
      const resumed = run(second, 5, half);
      for (let i = 0; i < 3; i++) expect(Object.is(resumed[i], whole[i])).toBe(true);
    }
    // SPSA: the generator position is part of the state.
    const loss = async (x: Float64Array) => f(x);
    const a = new Spsa({ seed: 7 });
    const pa = new Float64Array(3);
    for (let k = 0; k < 10; k++) await a.step(pa, loss);
    const b = new Spsa({ seed: 7 });
    const pb = new Float64Array(3);
    for (let k = 0; k < 5; k++) await b.step(pb, loss);
    const c = new Spsa({ seed: 999 });
    c.restore(JSON.parse(JSON.stringify(b.state())));
    for (let k = 0; k < 5; k++) await c.step(pb, loss);
    for (let i = 0; i < 3; i++) expect(Object.is(pb[i], pa[i])).toBe(true);
  });

  it('rejects a state of another optimizer and bad options', () => {
    expect(() => new Adam().restore(new Sgd().state())).toThrow(/kind/);
    expect(() => new Sgd().restore({ kind: 'sgd', steps: -1, velocity: [] })).toThrow(ValidationError);
    expect(() => new Adam({ learningRate: 0 })).toThrow(/learningRate/);
    expect(() => new Sgd({ momentum: 1 })).toThrow(/momentum/);
    expect(() => new Adam().step(new Float64Array(2), new Float64Array(3))).toThrow(/gradient/);
  });

  it('refuses a restored state of another length instead of silently resetting it', () => {
    for (const make of [() => new Adam(), () => new Sgd({ momentum: 0.9 })]) {
      const saved = make();
      run(saved, 3);
      const restored = make();
      restored.restore(saved.state());
      let error: unknown;
      try {
        restored.step(new Float64Array(4), new Float64Array(4));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues[0]?.field).toBe('parameters');
    }
    const adam = new Adam();
    run(adam, 2);
    const state = adam.state() as { m: number[]; v: number[] };
    expect(() => new Adam().restore({ ...state, v: state.v.slice(1) })).toThrow(/state\.v/);
  });

  it('reset() returns to the fresh state', async () => {
    const adam = new Adam();
    const fresh = run(new Adam(), 5);
    run(adam, 5);
    adam.reset();
    expect(adam.steps).toBe(0);
    expect(Array.from(run(adam, 5))).toEqual(Array.from(fresh));
    const spsa = new Spsa({ seed: 2 });
    const loss = async (p: Float64Array) => f(p);
    const a = new Float64Array(3);
    await spsa.step(a, loss);
    spsa.reset();
    const b = new Float64Array(3);
    await spsa.step(b, loss);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(spsa.steps).toBe(1);
  });
});
