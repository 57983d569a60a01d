/**
 * Classification metrics: softmax, cross-entropy and accuracy, in float64.
 */

/** softmax(z)_c = exp(z_c − max z) / Σ_k exp(z_k − max z) (shifted for stability). */
export function softmax(logits: ArrayLike<number>): number[] {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] as number);
  const exps = Array.from(logits, (z) => Math.exp(z - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/**
 * Cross-entropy of the softmax of `logits` against class `target`: L = −log softmax(z)_target
 * = logsumexp(z) − z_target. Its gradient is ∂L/∂z_c = softmax(z)_c − [c = target].
 */
export function crossEntropy(logits: ArrayLike<number>, target: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] as number);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] as number) - max);
  return max + Math.log(sum) - (logits[target] as number);
}

/** Index of the largest value (the first on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

/** Fraction of predictions equal to their targets (0 for empty input). */
export function accuracy(predictions: readonly number[], targets: readonly number[]): number {
  if (predictions.length === 0) return 0;
  let correct = 0;
  for (let i = 0; i < predictions.length; i++) if (predictions[i] === targets[i]) correct++;
  return correct / predictions.length;
}
