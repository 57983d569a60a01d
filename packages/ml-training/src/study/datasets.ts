/**
 * The benchmark study's dataset generators (Bowles, Ahmed, Schuld 2024, §3 of the study), each
 * replaying NumPy's legacy MT19937 stream ({@link LegacyRandomState}) in the study's draw order, so
 * a variant is regenerated exactly — including the train/test split — without the study's files.
 *
 * A family's variants share one stream (seeded once, variants generated in order, each followed
 * by its split), so variant k is produced by replaying variants before it. The split is
 * scikit-learn's unstratified `train_test_split(test_size=0.2)`: p = permutation(N), test = the
 * first ⌈0.2N⌉ indices of p, train = the rest, both in p order (240/60 for N = 300).
 */
import { readFile } from 'node:fs/promises';
import { ValidationError } from '@q-store/core';
import { LegacyRandomState } from './random-state.js';

/** Rows of features with ±1 labels. */
export interface StudySplit {
  readonly x: Float64Array[];
  readonly y: number[];
}

export interface StudyDataset {
  /** The study's file stem, e.g. `linearly_separable_10d`. */
  readonly name: string;
  readonly family: StudyFamily;
  readonly train: StudySplit;
  readonly test: StudySplit;
}

export type StudyFamily =
  | 'linearly_separable'
  | 'hidden_manifold'
  | 'hidden_manifold_diff'
  | 'two_curves'
  | 'two_curves_diff'
  | 'hyperplanes_diff'
  | 'bars_and_stripes';

/** Variant parameter per family: d, k (manifold), D (degree), k (hyperplanes) or image side. */
export const STUDY_VARIANTS: Readonly<Record<StudyFamily, readonly number[]>> = {
  linearly_separable: range(2, 20),
  hidden_manifold: range(2, 20),
  hidden_manifold_diff: range(2, 20),
  two_curves: range(2, 20),
  two_curves_diff: range(2, 20),
  hyperplanes_diff: range(2, 20),
  bars_and_stripes: [4, 8, 16, 32],
};

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

/** The study's file stem of a variant. */
export function studyDatasetName(family: StudyFamily, v: number): string {
  switch (family) {
    case 'linearly_separable':
      return `linearly_separable_${v}d`;
    case 'hidden_manifold':
      return `hidden_manifold-6manifold-${v}d`;
    case 'hidden_manifold_diff':
      return `hidden_manifold-10d-${v}manifold`;
    case 'two_curves':
      return `two_curves-5degree-0.1offset-${v}d`;
    case 'two_curves_diff':
      return `two_curves-10d-${v}degree`;
    case 'hyperplanes_diff':
      return `hyperplanes-10d-from3d-${v}n`;
    case 'bars_and_stripes':
      return `bars_and_stripes_${v}_x_${v}_0.5noise`;
  }
}

function split(rs: LegacyRandomState, x: Float64Array[], y: number[]): { train: StudySplit; test: StudySplit } {
  const n = x.length;
  const p = rs.permutation(n);
  const nTest = Math.ceil(0.2 * n);
  const pick = (idx: number[]): StudySplit => ({
    x: idx.map((i) => x[i] as Float64Array),
    y: idx.map((i) => y[i] as number),
  });
  return { test: pick(p.slice(0, nTest)), train: pick(p.slice(nTest)) };
}

/** Population StandardScaler over all rows, in place (zero std → 1). */
function standardize(x: Float64Array[]): void {
  const d = (x[0] as Float64Array).length;
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (const r of x) mean += r[j] as number;
    mean /= x.length;
    let v = 0;
    for (const r of x) v += ((r[j] as number) - mean) ** 2;
    const sd = Math.sqrt(v / x.length) || 1;
    for (const r of x) r[j] = ((r[j] as number) - mean) / sd;
  }
}

function normals(rs: LegacyRandomState, rows: number, cols: number): Float64Array[] {
  return Array.from({ length: rows }, () => Float64Array.from({ length: cols }, () => rs.gauss()));
}

/**
 * linearly_separable, d features, N = 300, margin m = 0.02·d: draw 2N rows of 2·U[0,1)−1, keep
 * those with |Σx| > m (first N), label y = −1 if Σx > 0 else +1.
 */
function linearlySeparable(rs: LegacyRandomState, d: number, n = 300): { x: Float64Array[]; y: number[] } {
  const m = 0.02 * d;
  const x: Float64Array[] = [];
  const y: number[] = [];
  const rows = Array.from({ length: 2 * n }, () => Float64Array.from({ length: d }, () => 2 * rs.randomSample() - 1));
  for (const r of rows) {
    const s = r.reduce((a, b) => a + b, 0);
    if (Math.abs(s) > m && x.length < n) {
      x.push(r);
      y.push(s > 0 ? -1 : 1);
    }
  }
  if (x.length < n) throw new RangeError(`linearly_separable: only ${x.length} of ${n} rows beyond the margin`);
  return { x, y };
}

/**
 * hidden manifold (N samples, d features, manifold dimension k): F ~ N(0,1)^(k×d), C ~ N(0,1)^(N×k),
 * b = 2U−1 ∈ R^d, W ~ N(0,1)^(k×k), v ~ N(0,1)^k; X = tanh(C·F/√k − b); g(c) = v·tanh(W c)/√k;
 * y = −1 where g − median(g) < 0 else +1 (exactly N/2 each).
 */
function hiddenManifold(rs: LegacyRandomState, d: number, k: number, n = 300): { x: Float64Array[]; y: number[] } {
  const f = normals(rs, k, d);
  const c = normals(rs, n, k);
  const b = Float64Array.from({ length: d }, () => 2 * rs.randomSample() - 1);
  const w = normals(rs, k, k);
  const v = Float64Array.from({ length: k }, () => rs.gauss());
  const sk = Math.sqrt(k);
  const x = c.map((ci) =>
    Float64Array.from({ length: d }, (_, j) => {
      let s = 0;
      for (let a = 0; a < k; a++) s += (ci[a] as number) * ((f[a] as Float64Array)[j] as number);
      return Math.tanh(s / sk - (b[j] as number));
    }),
  );
  const g = c.map((ci) => {
    let s = 0;
    for (let a = 0; a < k; a++) {
      let wc = 0;
      for (let j = 0; j < k; j++) wc += ((w[a] as Float64Array)[j] as number) * (ci[j] as number);
      s += (v[a] as number) * Math.tanh(wc);
    }
    return s / sk;
  });
  const sorted = [...g].sort((p, q) => p - q);
  const median =
    n % 2 ? (sorted[(n - 1) / 2] as number) : ((sorted[n / 2 - 1] as number) + (sorted[n / 2] as number)) / 2;
  return { x, y: g.map((gi) => (gi - median < 0 ? -1 : 1)) };
}

/**
 * two curves (N, d, degree D, offset δ, noise σ): A ~ U[0,1)^(d×(D+1)×2) / ‖A‖_F;
 * f_i(t) = A[i,0,0] + A[i,0,1] + Σ_{ν=1..D} A[i,ν,0]cos(νπt) + A[i,ν,1]sin(νπt) + ε, ε ~ N(0,σ²);
 * N/2 points of curve 1 (label −1), then N/2 of curve 2 (label +1, +δ on every feature);
 * StandardScaler over all N points.
 */
function twoCurves(rs: LegacyRandomState, d: number, degree: number, offset: number, noise = 0.01, n = 300) {
  const a = Float64Array.from({ length: d * (degree + 1) * 2 }, () => rs.randomSample());
  const norm = Math.sqrt(a.reduce((s, v) => s + v * v, 0));
  for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) / norm;
  const at = (i: number, nu: number, c: number) => a[(i * (degree + 1) + nu) * 2 + c] as number;
  const x: Float64Array[] = [];
  const y: number[] = [];
  for (const [label, shift] of [
    [-1, 0],
    [1, offset],
  ] as const) {
    for (let p = 0; p < n / 2; p++) {
      const t = rs.randomSample();
      const row = new Float64Array(d);
      for (let i = 0; i < d; i++) {
        let s = at(i, 0, 0) + at(i, 0, 1);
        for (let nu = 1; nu <= degree; nu++)
          s += at(i, nu, 0) * Math.cos(nu * Math.PI * t) + at(i, nu, 1) * Math.sin(nu * Math.PI * t);
        row[i] = s + noise * rs.gauss() + shift;
      }
      x.push(row);
      y.push(label);
    }
  }
  standardize(x);
  return { x, y };
}

/**
 * hyperplanes parity (N, d, k hyperplanes in h dims): w ~ U^(k×h), b ~ U^k, Z ~ N(0,1)^(4N×h);
 * a(z) = #{j : w_j·z + b_j > 0}; first N/2 even rows (label −1) then first N/2 odd rows (+1);
 * X = Z_sel·E with E ~ U^(h×d); StandardScaler over all rows.
 */
function hyperplanes(rs: LegacyRandomState, d: number, k: number, h = 3, n = 300) {
  const w = Array.from({ length: k }, () => Float64Array.from({ length: h }, () => rs.randomSample()));
  const b = Float64Array.from({ length: k }, () => rs.randomSample());
  const z = normals(rs, 4 * n, h);
  const even: Float64Array[] = [];
  const odd: Float64Array[] = [];
  for (const zi of z) {
    let count = 0;
    for (let j = 0; j < k; j++) {
      let s = b[j] as number;
      for (let q = 0; q < h; q++) s += ((w[j] as Float64Array)[q] as number) * (zi[q] as number);
      if (s > 0) count++;
    }
    (count % 2 === 0 ? even : odd).push(zi);
  }
  if (even.length < n / 2 || odd.length < n / 2) throw new RangeError('hyperplanes: not enough rows of each parity');
  const sel = [...even.slice(0, n / 2), ...odd.slice(0, n / 2)];
  const e = Array.from({ length: h }, () => Float64Array.from({ length: d }, () => rs.randomSample()));
  const x = sel.map((zi) =>
    Float64Array.from({ length: d }, (_, j) => {
      let s = 0;
      for (let q = 0; q < h; q++) s += (zi[q] as number) * ((e[q] as Float64Array)[j] as number);
      return s;
    }),
  );
  standardize(x);
  return { x, y: [...Array(n / 2).fill(-1), ...Array(n / 2).fill(1)] as number[] };
}

/**
 * Bars and stripes, side s, noise 0.5 (the paper's v0.1 labels): start from −1; u = U; if u > 0.5
 * each row whose uniform is > 0.5 is set to +1 (label −1), otherwise each such column (label +1);
 * add N(0, 0.25) noise per pixel, row-major. Seed 42 per size: 1000 train then 200 test images.
 */
function barsAndStripes(size: number): { train: StudySplit; test: StudySplit } {
  const rs = new LegacyRandomState(42);
  const image = (): [Float64Array, number] => {
    const img = new Float64Array(size * size).fill(-1);
    const rows = rs.randomSample() > 0.5;
    const pick = Array.from({ length: size }, () => rs.randomSample() > 0.5);
    for (let i = 0; i < size; i++) {
      if (!pick[i]) continue;
      for (let j = 0; j < size; j++) img[rows ? i * size + j : j * size + i] = 1;
    }
    for (let p = 0; p < img.length; p++) img[p] = (img[p] as number) + 0.5 * rs.gauss();
    return [img, rows ? -1 : 1];
  };
  const many = (count: number): StudySplit => {
    const x: Float64Array[] = [];
    const y: number[] = [];
    for (let i = 0; i < count; i++) {
      const [img, label] = image();
      x.push(img);
      y.push(label);
    }
    return { x, y };
  };
  const train = many(1000);
  return { train, test: many(200) };
}

/**
 * Regenerates one variant of a study family exactly as the study did (seed 42 for
 * linearly_separable and bars_and_stripes, 3 for hidden_manifold(+_diff) and two_curves(+_diff),
 * 1 for hyperplanes_diff), replaying the shared stream up to it.
 */
export function generateStudyDataset(family: StudyFamily, variant: number): StudyDataset {
  const variants = STUDY_VARIANTS[family];
  if (!variants.includes(variant)) {
    throw new ValidationError(
      [{ field: 'variant', message: `must be one of ${variants.join(', ')}`, limit: variants.join(',') }],
      `Unknown variant ${variant} of ${family}`,
    );
  }
  const name = studyDatasetName(family, variant);
  if (family === 'bars_and_stripes') return { name, family, ...barsAndStripes(variant) };
  const replay = (rs: LegacyRandomState, steps: Array<() => { x: Float64Array[]; y: number[] }>, stop: number) => {
    for (let i = 0; ; i++) {
      const data = (steps[i] as () => { x: Float64Array[]; y: number[] })();
      const parts = split(rs, data.x, data.y);
      if (i === stop) return parts;
    }
  };
  const vs = range(2, 20);
  const idx = vs.indexOf(variant);
  switch (family) {
    case 'linearly_separable': {
      const rs = new LegacyRandomState(42);
      return {
        name,
        family,
        ...replay(
          rs,
          vs.map((d) => () => linearlySeparable(rs, d)),
          idx,
        ),
      };
    }
    case 'hidden_manifold':
    case 'hidden_manifold_diff': {
      const rs = new LegacyRandomState(3);
      const steps = [
        ...vs.map((d) => () => hiddenManifold(rs, d, 6)),
        ...vs.map((k) => () => hiddenManifold(rs, 10, k)),
      ];
      return { name, family, ...replay(rs, steps, family === 'hidden_manifold' ? idx : 19 + idx) };
    }
    case 'two_curves':
    case 'two_curves_diff': {
      const rs = new LegacyRandomState(3);
      const steps = [
        ...vs.map((d) => () => twoCurves(rs, d, 5, 0.1)),
        ...vs.map((deg) => () => twoCurves(rs, 10, deg, 1 / (2 * deg))),
      ];
      return { name, family, ...replay(rs, steps, family === 'two_curves' ? idx : 19 + idx) };
    }
    case 'hyperplanes_diff': {
      const rs = new LegacyRandomState(1);
      return {
        name,
        family,
        ...replay(
          rs,
          vs.map((k) => () => hyperplanes(rs, 10, k)),
          idx,
        ),
      };
    }
  }
}

/** Parses a study CSV (no header; features, then the ±1 label last). */
export function parseStudyCsv(text: string, source = 'csv'): StudySplit {
  const x: Float64Array[] = [];
  const y: number[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    const v = line.split(',').map(Number);
    const label = v.pop() as number;
    if (v.length === 0 || v.some((n) => !Number.isFinite(n)) || (label !== 1 && label !== -1)) {
      throw new ValidationError(
        [{ field: `rows[${i}]`, message: 'must be finite features followed by a ±1 label' }],
        `${source}: bad row ${i + 1}`,
      );
    }
    if (x.length > 0 && v.length !== (x[0] as Float64Array).length) {
      throw new ValidationError(
        [
          {
            field: `rows[${i}]`,
            message: `must have ${(x[0] as Float64Array).length} features`,
            limit: (x[0] as Float64Array).length,
          },
        ],
        `${source}: row ${i + 1} has ${v.length} features`,
      );
    }
    x.push(Float64Array.from(v));
    y.push(label);
  }
  return { x, y };
}

/** Reads `<stem>_train.csv` and `<stem>_test.csv` from a directory of the study's files. */
export async function loadStudyCsvPair(dir: string, stem: string): Promise<{ train: StudySplit; test: StudySplit }> {
  const [train, test] = await Promise.all(
    (['train', 'test'] as const).map(async (s) =>
      parseStudyCsv(await readFile(`${dir}/${stem}_${s}.csv`, 'utf8'), `${stem}_${s}.csv`),
    ),
  );
  return { train: train as StudySplit, test: test as StudySplit };
}

/** Rows as Float32Arrays and labels, the shape {@link storeDataset} takes. */
export function toSplitData(s: StudySplit): { features: Float32Array[]; labels: number[] } {
  return { features: s.x.map((r) => Float32Array.from(r)), labels: [...s.y] };
}
