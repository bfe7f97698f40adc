import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The page: web/ built to dist/web, which the server serves (same origin as the JSON API).
export default defineConfig({
  root: fileURLToPath(new URL('./web', import.meta.url)),
  base: './',
  build: { outDir: fileURLToPath(new URL('./dist/web', import.meta.url)), emptyOutDir: true, target: 'es2022' },
});
