#!/usr/bin/env node
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CliError, helpText, parseCli } from './options.js';
import { startViewer } from './server.js';

async function main() {
  const options = parseCli(process.argv.slice(2));
  if (options === 'help') {
    console.log(helpText());
    return;
  }
  // Through `pnpm viewer` the command runs in apps/viewer; paths are the caller's.
  const base = process.env.INIT_CWD ?? process.cwd();
  const runs = resolve(base, options.runs);
  const info = await stat(runs).catch(() => undefined);
  if (!info?.isDirectory()) throw new CliError(`--runs: ${runs}: no such folder`);
  const viewer = await startViewer({
    runs,
    ...(options.experiments && { experiments: resolve(base, options.experiments) }),
    port: options.port,
    host: options.host,
    pollMs: options.poll,
  });
  console.log(`mtl-viewer: open ${viewer.url}`);
  const started = performance.now();
  await viewer.ready;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`mtl-viewer: ${viewer.folder.list().length} runs in ${runs} (read in ${seconds} s)`);
  const stop = () => viewer.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof CliError ? `mtl-viewer: ${error.message}` : error);
  process.exit(error instanceof CliError ? 2 : 1);
});
