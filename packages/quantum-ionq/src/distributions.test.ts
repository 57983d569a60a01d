import { Circuit, createRng } from '@q-store/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawSample, readDistribution } from './distributions.js';
import { decodeWidths, encodeWidths, IonQBackend } from './ionq-backend.js';
import { IonqEmulator } from './testing/index.js';

describe('drawSample: seeded multinomial counts from an exact distribution', () => {
  it('counts sum to shots, follow p within binomial bounds, and repeat with the seed', () => {
    const dist = readDistribution({ 0: 0.1, 3: 0.25, 5: 0.65 }, 3);
    const shots = 20_000;
    const a = drawSample(dist, shots, createRng(1));
    expect(Object.values(a.counts).reduce((s, c) => s + c, 0)).toBe(shots);
    for (const [key, p] of [
      ['000', 0.1],
      ['011', 0.25],
      ['101', 0.65],
    ] as const) {
      const c = a.counts[key] ?? 0;
      expect(Math.abs(c - shots * p)).toBeLessThan(4.5 * Math.sqrt(shots * p * (1 - p)));
      expect(a.probabilities[key]).toBe(c / shots);
    }
    expect(drawSample(dist, shots, createRng(1)).counts).toEqual(a.counts);
    expect(drawSample(dist, shots, createRng(2)).counts).not.toEqual(a.counts);
  });

  it('IonQ distributions are checked: keys, values, sum', () => {
    expect(() => readDistribution({ 8: 1 }, 3)).toThrow(/basis state/);
    expect(() => readDistribution({ 0: 0.5 }, 1)).toThrow(/sum to 1/);
    expect(() => readDistribution({ 0: -1, 1: 2 }, 1)).toThrow(/probability/);
  });
});

describe('job metadata: circuit widths', () => {
  it('run-length encodes and decodes', () => {
    expect(encodeWidths([3, 3, 3])).toBe('3x3');
    expect(encodeWidths([2, 2, 5, 2])).toBe('2x2,5x1,2x1');
    expect(decodeWidths('2x2,5x1,2x1')).toEqual([2, 2, 5, 2]);
    expect(decodeWidths('nonsense')).toBeUndefined();
    expect(decodeWidths(undefined)).toBeUndefined();
  });
});

describe('IonQBackend.batch', () => {
  let emulator: IonqEmulator;
  let url: string;
  beforeAll(async () => {
    emulator = new IonqEmulator({ timing: { submitMs: 1, queueMs: 1, runMs: 1 } });
    url = await emulator.start();
  });
  afterAll(async () => {
    await emulator.stop();
  });

  it('sends what fn asks for as one job and replays the answers in order; nested batches join', async () => {
    const b = new IonQBackend({ apiKey: 'test-key', baseUrl: url, noiseModel: 'aria-1', pollIntervalMs: 1 });
    const before = emulator.jobCount;
    const out = await b.batch(async () => {
      const [x] = await b.sample({ circuits: [new Circuit(2).x(1).toJSON()], shots: 200, seed: 1 });
      const inner = await b.batch(() => b.sample({ circuits: [new Circuit(1).toJSON()], shots: 200, seed: 1 }));
      return { x: x?.counts, zero: inner[0]?.counts };
    });
    expect(emulator.jobCount - before).toBe(1);
    // aria-1 flips a few readouts; the bulk is where the circuit puts it.
    expect(out.x?.['10'] ?? 0).toBeGreaterThan(180);
    expect(out.zero?.['0'] ?? 0).toBeGreaterThan(190);
  });

  it('a function that asks for other circuits on replay is an error, not wrong answers', async () => {
    const b = new IonQBackend({ apiKey: 'test-key', baseUrl: url, pollIntervalMs: 1 });
    let pass = 0;
    await expect(
      b.batch(async () => {
        pass++;
        return b.sample({ circuits: [new Circuit(1).ry(0, pass).toJSON()], shots: 10 });
      }),
    ).rejects.toThrow(/not deterministic/);
  });
});
