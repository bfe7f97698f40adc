import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { env, findBackend } from '@tensorflow/tfjs-core';

const require = createRequire(import.meta.url);

let runningThreads = 1;

/**
 * Starts the wasm backend's threaded SIMD build in Node, which tfjs-backend-wasm 4.22
 * only starts in browsers. Its Emscripten glue does support Node's worker_threads; what
 * fails is the hand-over: tfjs gives each pthread worker its script as a `blob:` URL,
 * which Node's Worker refuses, and posts the main script as a Blob, which the worker's
 * Node `importScripts` cannot read. So, only while the backend initialises,
 * `URL.createObjectURL` returns a file holding the package's own worker script, to which
 * a few lines are appended that point the worker at the package's own threaded glue
 * (`wasm-out/tfjs-backend-wasm-threaded-simd.js`) instead of the Blob. And the C++
 * side caps its thread pool at half the logical cores (it assumes two hyper-threads a
 * core), which on a 2-core machine means one thread whatever was asked; so during
 * start-up `os.cpus()` reports twice the requested threads, which the glue reads once.
 * Nothing in node_modules is changed; the temporary folder is removed at exit.
 *
 * Must run before the wasm backend first initialises: threads are fixed at start-up.
 */
export async function withWasmThreads<T>(threads: number, start: () => Promise<T>): Promise<T> {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`wasm threads must be a positive integer, got ${threads}`);
  }
  if (typeof SharedArrayBuffer === 'undefined') {
    throw new Error('wasm threads need SharedArrayBuffer, which this runtime lacks');
  }
  const gluePath = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const { wasmWorkerContents } =
    require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js') as {
      wasmWorkerContents: string;
    };
  const folder = mkdtempSync(join(tmpdir(), 'mtl-wasm-threads-'));
  process.once('exit', () => rmSync(folder, { recursive: true, force: true }));
  const workerPath = join(folder, 'tfjs-backend-wasm-threaded-simd.worker.js');
  // The module holds the script as a template literal, so its "\n" escapes arrive as
  // raw newlines inside string literals; restore them as tfjs itself does.
  writeFileSync(
    workerPath,
    `${wasmWorkerContents.replace(/\n/g, '\\n')}
;(() => {
  const handle = self.onmessage;
  self.onmessage = (event) => {
    if (event.data && event.data.cmd === 'load' && typeof event.data.urlOrBlob !== 'string') {
      event.data.urlOrBlob = ${JSON.stringify(gluePath)};
    }
    return handle(event);
  };
})();
`,
  );

  env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  const createObjectURL = URL.createObjectURL;
  URL.createObjectURL = (blob: Blob) => (blob.type === 'application/javascript' ? workerPath : createObjectURL(blob));
  const os = require('node:os') as typeof import('node:os');
  const cpus = os.cpus;
  os.cpus = () => {
    const real = cpus();
    return Array.from({ length: 2 * threads }, (_, i) => real[i % real.length] as import('node:os').CpuInfo);
  };
  try {
    const result = await start();
    runningThreads = getThreadsCount();
    releaseThreadPool();
    return result;
  } finally {
    URL.createObjectURL = createObjectURL;
    os.cpus = cpus;
  }
}

/**
 * Emscripten refs each worker that runs a pthread, and XNNPACK's pool threads never end,
 * so the process would never exit by itself; unref'd, they no longer hold it open.
 */
function releaseThreadPool(): void {
  const wasm = (findBackend('wasm') as { wasm?: { PThread?: { runningWorkers: Worker[]; unusedWorkers: Worker[] } } })
    ?.wasm;
  const pool = wasm?.PThread;
  for (const worker of [...(pool?.runningWorkers ?? []), ...(pool?.unusedWorkers ?? [])]) {
    (worker as unknown as { unref(): void }).unref();
  }
}

/** Threads the running wasm backend uses (1 unless started through withWasmThreads). */
export function wasmThreadCount(): number {
  return runningThreads;
}
