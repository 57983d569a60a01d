import { describe, expect, it } from 'vitest';
import { generateStudyDataset, parseStudyCsv } from './datasets.js';
import { LegacyRandomState } from './random-state.js';

describe('study datasets', () => {
  it('LegacyRandomState reproduces NumPy RandomState(42) draws', () => {
    const r = new LegacyRandomState(42);
    expect(r.randomSample()).toBe(0.3745401188473625);
    expect(r.randomSample()).toBe(0.9507143064099162);
    expect(r.gauss()).toBe(0.6476885381006925);
    expect(r.gauss()).toBe(1.5230298564080254);
    expect(r.gauss()).toBe(-0.23415337472333597);
    expect(r.permutation(10)).toEqual([0, 6, 9, 1, 8, 5, 2, 3, 4, 7]);
  });

  it("regenerates the study's files: first rows match the published CSVs", () => {
    const ls = generateStudyDataset('linearly_separable', 10);
    expect(ls.train.x.length).toBe(240);
    expect(ls.test.x.length).toBe(60);
    expect(ls.train.x[0]?.[0]).toBe(-0.1681561239411402);
    expect(ls.train.x[0]?.[1]).toBe(0.35724771348055673);
    expect(ls.train.y[0]).toBe(1);
    const hm = generateStudyDataset('hidden_manifold', 10);
    expect(hm.test.x[0]?.[0]).toBeCloseTo(-0.030776048660550642, 14);
    expect(hm.test.y[0]).toBe(-1);
    const tc = generateStudyDataset('two_curves_diff', 2);
    expect(tc.train.x[0]?.[0]).toBeCloseTo(0.029168940779670097, 14);
    expect(tc.train.y[0]).toBe(1);
  });

  it('statistics: labels follow their rules, classes balance where the study forces it, determinism', () => {
    const ls = generateStudyDataset('linearly_separable', 5);
    for (const [i, r] of ls.train.x.entries()) {
      const s = r.reduce((a, b) => a + b, 0);
      expect(Math.abs(s)).toBeGreaterThan(0.1);
      expect(ls.train.y[i]).toBe(s > 0 ? -1 : 1);
    }
    for (const fam of ['hidden_manifold', 'hyperplanes_diff', 'two_curves'] as const) {
      const d = generateStudyDataset(fam, 4);
      const all = [...d.train.y, ...d.test.y];
      expect(all.filter((y) => y === 1).length).toBe(150);
      if (fam !== 'hidden_manifold') {
        // StandardScaler over all 300 rows: mean 0, population std 1 per feature.
        const rows = [...d.train.x, ...d.test.x];
        const mean = rows.reduce((s, r) => s + (r[0] as number), 0) / 300;
        const v = rows.reduce((s, r) => s + ((r[0] as number) - mean) ** 2, 0) / 300;
        expect(mean).toBeCloseTo(0, 12);
        expect(v).toBeCloseTo(1, 12);
      }
    }
    const a = generateStudyDataset('hidden_manifold_diff', 3);
    const b = generateStudyDataset('hidden_manifold_diff', 3);
    expect(a.train.x).toEqual(b.train.x);
    const bs = generateStudyDataset('bars_and_stripes', 4);
    expect(bs.train.x.length).toBe(1000);
    expect(bs.test.x.length).toBe(200);
  });

  it('parses the study CSV format and rejects bad rows', () => {
    const s = parseStudyCsv('1.0e-1,2.0e-1,-1.0\n3,4,1\n');
    expect(s.y).toEqual([-1, 1]);
    expect(Array.from(s.x[1] as Float64Array)).toEqual([3, 4]);
    expect(() => parseStudyCsv('1,2,0.5')).toThrow(/row 1/);
  });
});
