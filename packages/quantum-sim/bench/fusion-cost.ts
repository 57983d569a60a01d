/**
 * The constants of the fusion cost model (src/fusion.ts): time of one kernel call of each kind at
 * n = 20 relative to a general 2×2 on the same path (SIMD and JavaScript), best of 15 calls after
 * warm-up (best, not median: the cost model wants the kernels' own speed, not the machine's load).
 * `--only fusion-cost`.
 */
import { applyOp, type Op } from '../src/ops.js';
import { Workspace } from '../src/workspace.js';

const m8 = Float64Array.from({ length: 8 }, (_, i) => 0.3 + 0.1 * i);
const ops: Record<string, Op> = {
  u1: { kind: 'u1', q: 5, m: m8 },
  r1: { kind: 'r1', q: 5, m: Float64Array.of(0.6, 0.8, -0.8, 0.6) },
  d1: { kind: 'd1', q: 5, m: Float64Array.of(0.6, 0.8, 0.6, -0.8) },
  phase: { kind: 'phase', mask: 1 << 5, re: 0.6, im: 0.8 },
  cx: { kind: 'x', controls: 1 << 5, q: 6 },
  u2: { kind: 'u2', q0: 5, q1: 6, m: Float64Array.from({ length: 32 }, (_, i) => 0.1 + 0.01 * i) },
  u3: { kind: 'uk', qubits: [5, 6, 7], m: Float64Array.from({ length: 128 }, (_, i) => 0.01 * i) },
  u4: { kind: 'uk', qubits: [5, 6, 7, 8], m: Float64Array.from({ length: 512 }, (_, i) => 0.001 * i) },
};

export function fusionCostBench(n = 20): void {
  console.log(`\nfusion cost model: kernel time per call at n = ${n} relative to a general 2×2 (best of 15)`);
  for (const wasm of [true, false]) {
    const ws = new Workspace(n, 1, 2 ** 34, wasm);
    const a = ws.states[0] as Float64Array;
    const best: Record<string, number> = {};
    for (const [k, op] of Object.entries(ops)) {
      let b = Number.POSITIVE_INFINITY;
      for (let r = 0; r < 18; r++) {
        a.fill(2 ** -(n / 2));
        const t0 = performance.now();
        applyOp(a, 2 ** n, op, ws.wasm);
        if (r >= 3) b = Math.min(b, performance.now() - t0);
      }
      best[k] = b;
    }
    const u1 = best.u1 as number;
    console.log(
      `${wasm ? 'SIMD' : 'JavaScript'} (u1 = ${u1.toFixed(2)} ms): ${Object.entries(best)
        .map(([k, v]) => `${k} ${(v / u1).toFixed(2)}`)
        .join(', ')}`,
    );
  }
}

if (process.argv[1]?.endsWith('fusion-cost.ts')) fusionCostBench();
