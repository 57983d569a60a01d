/** scikit-learn's MinMaxScaler and StandardScaler as the study's models use them (MODELS.md §2.1). */

export interface Scaler {
  transform(x: Float64Array): Float64Array;
}

/** x' = a + (b − a)(x − min)/(max − min) per feature; a zero range counts as 1. */
export function fitMinMax(xs: readonly Float64Array[], a: number, b: number, scaling = 1): Scaler {
  const d = (xs[0] as Float64Array).length;
  const lo = new Float64Array(d).fill(Number.POSITIVE_INFINITY);
  const hi = new Float64Array(d).fill(Number.NEGATIVE_INFINITY);
  for (const x of xs)
    for (let j = 0; j < d; j++) {
      lo[j] = Math.min(lo[j] as number, x[j] as number);
      hi[j] = Math.max(hi[j] as number, x[j] as number);
    }
  return {
    transform: (x) =>
      Float64Array.from(x, (v, j) => {
        const r = (hi[j] as number) - (lo[j] as number);
        return scaling * (a + ((b - a) * (v - (lo[j] as number))) / (r === 0 ? 1 : r));
      }),
  };
}

/** x' = (x − mean)/std with the population std; a zero std counts as 1. */
export function fitStandard(xs: readonly Float64Array[], scaling = 1): Scaler {
  const d = (xs[0] as Float64Array).length;
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (const x of xs) for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) + (x[j] as number) / xs.length;
  for (const x of xs)
    for (let j = 0; j < d; j++) sd[j] = (sd[j] as number) + ((x[j] as number) - (mean[j] as number)) ** 2 / xs.length;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j] as number) || 1;
  return {
    transform: (x) => Float64Array.from(x, (v, j) => (scaling * (v - (mean[j] as number))) / (sd[j] as number)),
  };
}

export const identityScaler = (scaling = 1): Scaler => ({ transform: (x) => Float64Array.from(x, (v) => v * scaling) });
