// Shared tsup settings: ESM + CJS with declarations, dependencies left external.
import { defineConfig, type Options } from 'tsup';

export function packageBuildConfig(options: Partial<Options> = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    shims: true,
    ...options,
  });
}
