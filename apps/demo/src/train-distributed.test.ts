import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runDistributedTraining } from './train-distributed.js';

const POSTGRES = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function unavailable(): Promise<string | undefined> {
  if (!process.env.REDIS_URL && spawnSync('redis-server', ['--version']).status !== 0) return 'no redis-server';
  const client = new pg.Client({ connectionString: POSTGRES, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return undefined;
  } catch {
    return `no PostgreSQL at ${POSTGRES}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const reason = await unavailable();

describe.skipIf(reason !== undefined)('pnpm demo train --workers 2', () => {
  it('trains Iris on two worker processes: a live progress bar, accuracy improves, the chart is written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'q-store-demo-dist-'));
    try {
      const lines: string[] = [];
      const progress: string[] = [];
      const out = join(dir, 'chart.html');
      const result = await runDistributedTraining({
        workers: 2,
        epochs: 3,
        seed: 7,
        out,
        print: (l) => lines.push(l),
        progress: (t) => progress.push(t),
      });
      expect(result.steps).toBe(36);
      expect(result.history).toHaveLength(3);
      expect(result.testAccuracy).toBeGreaterThan(result.initialTestAccuracy);
      const text = lines.join('\n');
      expect(text).toContain('2 worker processes ready');
      expect(text).toMatch(/36 steps on 2 workers: [\d.]+ steps\/s/);
      expect(progress.some((t) => t.includes('step 36/36') && t.includes('2 workers'))).toBe(true);
      expect((await readFile(out, 'utf8')).match(/<polyline/g)).toHaveLength(4);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
