/**
 * z of a study cell: (ours − paper) / √(σ_ours² + σ_paper²). 0 when the difference is below the
 * paper CSV's 4-decimal rounding (no difference); ±∞ when both standard deviations are 0.
 */
export function combinedZ(ours: { mean: number; std: number }, paper: { mean: number; std: number }): number {
  const diff = ours.mean - paper.mean;
  if (Math.abs(diff) < 5e-5) return 0;
  const comb = Math.hypot(ours.std, paper.std);
  return comb === 0 ? Math.sign(diff) * Number.POSITIVE_INFINITY : diff / comb;
}
