import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@q-store/source'] },
  ssr: { resolve: { conditions: ['@q-store/source'] } },
  test: { name: '@q-store/core', include: ['src/**/*.test.ts'], testTimeout: 30_000 },
});
