/**
 * Cost guard for quantum backends that bill per shot.
 *
 * Estimate of one request: cost = shots × circuits × `capabilities.costPerShotUsd` (0 when the
 * backend declares no price). A request whose estimate is more than a budget is refused with
 * {@link BudgetExceededError} BEFORE anything is sent: the error names the budget, its limit, what
 * was already spent against it, and the estimate.
 */

import { QStoreError } from '../shared/errors.js';
import type { QuantumCapabilities } from './quantum-backend.js';

/** shots × circuits × costPerShotUsd, in US dollars (0 without a price). */
export function estimateCostUsd(
  capabilities: Pick<QuantumCapabilities, 'costPerShotUsd'>,
  request: { shots: number; circuits: number },
): number {
  const price = capabilities.costPerShotUsd ?? 0;
  return price > 0 ? request.shots * request.circuits * price : 0;
}

/** Which budget refused: one call's `maxCostUsd`, or a database's total `maxCostUsd`. */
export type BudgetScope = 'call' | 'database';

/** Work refused before it was sent because its estimated cost is over a budget. Not retryable. */
export class BudgetExceededError extends QStoreError {
  constructor(
    /** The budget that refused, e.g. `'call'` (field `maxCostUsd` of the call) or `'database'`. */
    readonly budget: BudgetScope,
    readonly limitUsd: number,
    readonly estimateUsd: number,
    /** Spent so far against this budget (0 for a per-call budget). */
    readonly spentUsd: number,
    /** How the estimate was computed, e.g. '1000 shots × 2 circuits × $0.0003'. */
    readonly detail: string,
  ) {
    const left = budget === 'call' ? '' : `, $${format(spentUsd)} of it already spent`;
    super(
      'BUDGET_EXCEEDED',
      `maxCostUsd (${budget} budget): this work would cost an estimated $${format(estimateUsd)} (${detail}), ` +
        `more than the budget of $${format(limitUsd)}${left}; nothing was sent`,
    );
  }
}

function format(usd: number): string {
  return Number(usd.toPrecision(6)).toString();
}

/**
 * Throws {@link BudgetExceededError} when `spentUsd + estimateUsd > limitUsd`. `limitUsd`
 * undefined means no budget. A tolerance of 1e-12 absorbs rounding of sums of prices.
 */
export function checkBudget(
  budget: BudgetScope,
  limitUsd: number | undefined,
  estimateUsd: number,
  spentUsd: number,
  detail: string,
): void {
  if (limitUsd === undefined) return;
  if (spentUsd + estimateUsd > limitUsd + 1e-12) {
    throw new BudgetExceededError(budget, limitUsd, estimateUsd, spentUsd, detail);
  }
}

/** '1000 shots × 2 circuits × $0.0003' */
export function costDetail(
  capabilities: Pick<QuantumCapabilities, 'costPerShotUsd'>,
  request: { shots: number; circuits: number },
): string {
  return `${request.shots} shots × ${request.circuits} circuit${request.circuits === 1 ? '' : 's'} × $${format(capabilities.costPerShotUsd ?? 0)} per shot`;
}
