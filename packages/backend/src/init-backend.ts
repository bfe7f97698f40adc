import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { registerBatchNormTrainKernels } from './batch-norm/batch-norm-train.js';
import { registerLstmRecurrenceKernels } from './lstm/lstm-recurrence.js';
import { registerAdamUpdateKernels } from './optimizers/fused-adam.js';
import { registerAllGradients } from './register-gradients.js';
import { registerWasmKernels } from './wasm/register-wasm-kernels.js';
import { wasmThreadCount, withWasmThreads } from './wasm/wasm-threads.js';

export type BackendRequest = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface InitBackendOptions {
  /** Which backend to use; `auto` takes tensorflow, else wasm, else cpu. Default `auto`. */
  backend?: BackendRequest;
  /**
   * Threads for the wasm backend (its threaded SIMD build, started in Node through
   * worker_threads). Fixed when wasm first starts in the process. Default 1.
   */
  threads?: number;
}

export interface BackendChoice {
  /** The backend tfjs now runs on. */
  name: BackendName;
  /** Why this backend was chosen, for logs. */
  reason: string;
  /** The native binding that provides `tensorflow`, when that is the choice. */
  nativePackage?: string;
  /** Backends tried before this one, with why each was passed over. */
  passedOver: { name: BackendName; reason: string }[];
  /** Threads of the wasm backend, when that is the choice. */
  threads?: number;
}

/** Native bindings, most capable first: the GPU build, then the CPU build. */
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

const INSTALL_NATIVE_HINT =
  'Install one next to @mtl/backend: `pnpm add @tensorflow/tfjs-node-gpu@4.22.0` (NVIDIA GPU with CUDA 11.2 + cuDNN 8.1) ' +
  'or `pnpm add @tensorflow/tfjs-node@4.22.0` (CPU), and allow its build script (it downloads libtensorflow).';

async function loadNativeBinding(): Promise<{ pkg: string } | { error: string }> {
  const failures: string[] = [];
  for (const pkg of NATIVE_PACKAGES) {
    try {
      // A variable specifier keeps bundlers from resolving an optional package.
      await import(/* @vite-ignore */ pkg);
      return { pkg };
    } catch (error) {
      failures.push(`${pkg}: ${firstLine(error)}`);
    }
  }
  return { error: failures.join('; ') };
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split('\n')[0] ?? '';
}

async function activate(name: 'wasm' | 'cpu' | 'tensorflow'): Promise<string | undefined> {
  try {
    const ok = await tf.setBackend(name);
    await tf.ready();
    return ok ? undefined : `tf.setBackend('${name}') returned false`;
  } catch (error) {
    return firstLine(error);
  }
}

async function activateWasm(threads: number): Promise<string | undefined> {
  const started = tf.engine().registry.wasm !== undefined;
  if (started && threads !== wasmThreadCount()) {
    throw new Error(
      `initBackend: the wasm backend already runs with ${wasmThreadCount()} thread(s); threads are fixed when it ` +
        `first starts, so pass { threads: ${threads} } to the first initBackend call of the process`,
    );
  }
  if (started || threads === 1) return activate('wasm');
  return withWasmThreads(threads, () => activate('wasm'));
}

/**
 * Prepares tfjs: registers every gradient once, adds the kernels training needs to the
 * wasm backend, and switches to the requested backend. Asking for a backend that cannot
 * start throws with what to install.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendChoice> {
  const request = options.backend ?? 'auto';
  if (!['auto', 'tensorflow', 'wasm', 'cpu'].includes(request)) {
    throw new Error(`initBackend: unknown backend '${request}'; valid: auto, tensorflow, wasm, cpu`);
  }
  registerAllGradients();
  registerWasmKernels();
  registerLstmRecurrenceKernels();
  registerBatchNormTrainKernels();
  registerAdamUpdateKernels();
  const passedOver: BackendChoice['passedOver'] = [];

  if (request === 'tensorflow' || request === 'auto') {
    const native = await loadNativeBinding();
    const failure = 'pkg' in native ? await activate('tensorflow') : native.error;
    if ('pkg' in native && failure === undefined) {
      const reason = request === 'auto' ? `auto: ${native.pkg} is installed` : `requested; provided by ${native.pkg}`;
      return { name: 'tensorflow', reason, nativePackage: native.pkg, passedOver };
    }
    if (request === 'tensorflow') {
      throw new Error(`initBackend: backend 'tensorflow' is not available (${failure}). ${INSTALL_NATIVE_HINT}`);
    }
    passedOver.push({ name: 'tensorflow', reason: `no native binding (${failure})` });
  }

  if (request === 'wasm' || request === 'auto') {
    const failure = await activateWasm(options.threads ?? 1);
    if (failure === undefined) {
      const reason = request === 'auto' ? 'auto: no native binding; wasm started' : 'requested';
      return { name: 'wasm', reason, passedOver, threads: wasmThreadCount() };
    }
    if (request === 'wasm') {
      throw new Error(
        `initBackend: backend 'wasm' failed to start (${failure}); reinstall @tensorflow/tfjs-backend-wasm`,
      );
    }
    passedOver.push({ name: 'wasm', reason: failure });
  }

  const failure = await activate('cpu');
  if (failure !== undefined) {
    throw new Error(`initBackend: backend 'cpu' failed to start (${failure}); reinstall @tensorflow/tfjs-backend-cpu`);
  }
  return {
    name: 'cpu',
    reason: request === 'auto' ? 'auto: tensorflow and wasm unavailable' : 'requested',
    passedOver,
  };
}
