import { defineConfig } from 'vitest/config';

// One root run over every workspace package: a single summary, and the closing line CI reads
// (printed by scripts/summary-reporter.ts). Packages resolve each other's `src/` through the
// `@q-store/source` export condition, so tests need no build step.
export default defineConfig({
  resolve: { conditions: ['@q-store/source'] },
  ssr: { resolve: { conditions: ['@q-store/source'] } },
  test: {
    projects: ['packages/*', 'apps/*'],
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
