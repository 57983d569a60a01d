import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

interface JsonReport {
  testResults: Array<{ assertionResults: Array<{ ancestorTitles: string[]; title: string; status: string }> }>;
}

// The kit must catch a compiler that maps core's filters to Qdrant's grammar wrongly: the emulator
// evaluates Qdrant's semantics, so a wrong mapping selects other records than core's oracle.
describe('the conformance kit catches a wrong filter compile on the emulator', () => {
  it('fails the filter groups for both broken compilers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'q-store-qdrant-kit-'));
    const output = join(dir, 'report.json');
    try {
      const require = createRequire(import.meta.url);
      const bin = join(require.resolve('vitest/package.json'), '..', 'vitest.mjs');
      const fixtures = join(import.meta.dirname, 'fixtures');
      await promisify(execFile)(
        process.execPath,
        [
          bin,
          'run',
          '--config',
          join(fixtures, 'vitest.fixture.config.ts'),
          // The kit's filter groups only (the rest of the kit does not depend on the compiler).
          '--testNamePattern',
          '^VectorBackend conformance: [a-z-]+ filters ',
          '--reporter=json',
          `--outputFile=${output}`,
        ],
        { cwd: fixtures, env: { ...process.env, CI: '1' } },
      ).catch((error: { code?: number }) => {
        if (error.code !== 1) throw error; // vitest exits 1 when tests fail, which is the point
      });
      const report = JSON.parse(await readFile(output, 'utf8')) as JsonReport;
      const failed = new Map<string, string[]>();
      let passed = 0;
      for (const file of report.testResults) {
        for (const r of file.assertionResults) {
          if (r.status === 'passed') passed++;
          if (r.status !== 'failed') continue;
          const suite = (r.ancestorTitles[0] ?? '').replace('VectorBackend conformance: ', '');
          failed.set(suite, [...(failed.get(suite) ?? []), `${r.ancestorTitles.slice(1).join(' > ')} > ${r.title}`]);
        }
      }
      expect(passed).toBeGreaterThan(100); // most filter tests do not use the broken operator and pass
      const ne = failed.get('ne-as-except') ?? [];
      expect(ne, ne.join('; ')).toEqual(expect.arrayContaining(['filters > $ne on a string']));
      expect(
        ne.some((t) => t.includes('generated filter tree')),
        ne.join('; '),
      ).toBe(true);
      const exists = failed.get('exists-as-not-empty') ?? [];
      expect(
        exists.some((t) => t.includes('$exists')),
        exists.join('; '),
      ).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
