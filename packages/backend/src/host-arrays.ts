import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  BatchMatMul,
  getKernel,
  type KernelConfig,
  registerKernel,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { WasmKernelContext } from './wasm/wasm-kernel-context.js';

/**
 * What a kernel written once for the wasm and cpu backends needs from either: float32
 * data, new tensors, and a product of a [rows, k] array with a [k, n] tensor (on wasm
 * XNNPACK's, whose packed weights stay cached while the tensor is the same, as an LSTM's
 * recurrent kernel is at every step).
 */
export interface Host {
  /** The tensor's data. On wasm a view of the heap, valid only until the next allocation. */
  read(info: TensorInfo): Float32Array;
  output(shape: number[]): TensorInfo;
  /** A tensor that lives until `release`, holding `values`. */
  temporary(values: Float32Array, shape: number[]): TensorInfo;
  /** a [rows, k] times b [k, n]: a new array. */
  multiply(a: Float32Array, rows: number, b: TensorInfo): Float32Array;
  release(): void;
}

/** Tensors on the wasm heap; products on the backend's (XNNPACK) BatchMatMul. */
export function wasmHost(backend: BackendWasm): Host {
  const ctx = new WasmKernelContext(backend);
  return {
    read: (info) => ctx.view(info),
    output: (shape) => ctx.output(shape),
    temporary: (values, shape) => {
      const info = ctx.temporary(shape);
      ctx.view(info).set(values);
      return info;
    },
    multiply: (a, rows, b) => {
      const [k, n] = b.shape as [number, number];
      const left = ctx.output([rows, k]);
      ctx.view(left).set(a);
      const product = getKernel(BatchMatMul, 'wasm')!.kernelFunc({
        inputs: { a: left, b },
        backend,
        attrs: { transposeA: false, transposeB: false },
      }) as TensorInfo;
      const result = ctx.view(product).slice(0, rows * n);
      backend.disposeData(left.dataId);
      backend.disposeData(product.dataId);
      return result;
    },
    release: () => ctx.release(),
  };
}

/** Tensors in the cpu backend's arrays; products in plain JavaScript (the reference backend). */
export function cpuHost(backend: MathBackendCPU): Host {
  const read = (info: TensorInfo) => backend.data.get(info.dataId)!.values as Float32Array;
  const temporaries: TensorInfo[] = [];
  return {
    read,
    output: (shape) => backend.makeTensorInfo(shape, 'float32', new Float32Array(util.sizeFromShape(shape))),
    temporary: (values, shape) => {
      const info = backend.makeTensorInfo(shape, 'float32', Float32Array.from(values));
      temporaries.push(info);
      return info;
    },
    multiply: (a, rows, b) => {
      const [k, n] = b.shape as [number, number];
      const bs = read(b);
      const out = new Float32Array(rows * n);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < k; j++) {
          const av = a[r * k + j] as number;
          if (av === 0) continue;
          for (let c = 0; c < n; c++) out[r * n + c] = (out[r * n + c] as number) + av * (bs[j * n + c] as number);
        }
      }
      return out;
    },
    release: () => {
      for (const info of temporaries) backend.disposeData(info.dataId);
      temporaries.length = 0;
    },
  };
}

/** Registers each kernel whose name and backend have none yet (so a second call, or another copy of this package, adds nothing). */
export function registerMissingKernels(configs: readonly KernelConfig[]): void {
  for (const config of configs) {
    if (getKernel(config.kernelName, config.backendName) === undefined) registerKernel(config);
  }
}
