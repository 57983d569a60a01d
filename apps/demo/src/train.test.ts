import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTraining, sparkline } from './train.js';

describe('pnpm demo train', () => {
  it('trains on Iris from the embedded store: accuracy improves, the HTML chart has the SVG curves', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'q-store-demo-train-'));
    try {
      const lines: string[] = [];
      const progress: string[] = [];
      const out = join(dir, 'chart.html');
      const result = await runTraining({
        epochs: 4,
        seed: 7,
        out,
        print: (l) => lines.push(l),
        progress: (t) => progress.push(t),
      });
      expect(result.history).toHaveLength(4);
      expect(result.testAccuracy).toBeGreaterThan(result.initialTestAccuracy);
      expect(result.testAccuracy).toBeGreaterThanOrEqual(0.8);
      expect((result.history.at(-1) as { loss: number }).loss).toBeLessThan(result.history[0]?.loss as number);
      expect(progress.some((t) => t.includes('epoch 4/4'))).toBe(true);
      const text = lines.join('\n');
      expect(text).toContain('embedded pgvector store: 120 training and 30 test samples');
      expect(text).toMatch(/epoch {3}4 {2}loss/);
      expect(text).toMatch(/test accuracy {2}[▁▂▃▄▅▆▇█]{4}/);
      const html = await readFile(out, 'utf8');
      expect(html).toContain('<svg');
      expect(html.match(/<polyline/g)).toHaveLength(4);
      expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
      // Each test-accuracy point is drawn where the history says (y = 204 − 168·accuracy).
      const testCurve = /<polyline[^>]*points="([^"]+)"><title>test accuracy/.exec(html)?.[1]?.split(' ') ?? [];
      expect(testCurve).toHaveLength(4);
      const lastY = Number(testCurve.at(-1)?.split(',')[1]);
      expect(lastY).toBeCloseTo(204 - 168 * result.testAccuracy, 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('sparkline scales between the minimum and the maximum', () => {
    expect(sparkline([0, 0.5, 1])).toBe('▁▅█');
    expect(sparkline([2, 2])).toBe('▁▁');
  });
});
