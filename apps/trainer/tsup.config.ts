import { defineConfig } from 'tsup';

// An app, not a library: one ESM entry with its shebang, dependencies left external.
export default defineConfig({
  entry: ['src/cli.ts'],
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
});
