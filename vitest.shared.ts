// Shared Vitest settings: workspace packages resolve to their TypeScript sources through
// the "@mtl/source" export condition, so tests never need a prior build.
import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

export function packageTestConfig(options: { testTimeout?: number } = {}) {
  const conditions = ['@mtl/source', ...defaultServerConditions];
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      include: ['test/**/*.test.ts'],
      pool: 'forks',
      testTimeout: options.testTimeout ?? 60_000,
      hookTimeout: 60_000,
    },
  });
}
