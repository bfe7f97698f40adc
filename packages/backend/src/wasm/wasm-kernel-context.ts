import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type DataType, getKernel, type NamedAttrMap, type TensorInfo, type TypedArray } from '@tensorflow/tfjs-core';

/**
 * What a kernel added here needs from the wasm backend: tensors allocated on its heap,
 * views of their data, and the backend's own kernels, looked up by name in tfjs's
 * kernel registry as tfjs's backends do.
 */
export class WasmKernelContext {
  private readonly temporaries: TensorInfo[] = [];

  constructor(readonly backend: BackendWasm) {}

  /** A new tensor on the wasm heap; its contents are undefined until written. */
  output(shape: number[], dtype: DataType = 'float32'): TensorInfo {
    return this.backend.makeOutput(shape, dtype);
  }

  /** A tensor that lives only for this kernel call. */
  temporary(shape: number[], dtype: DataType = 'float32'): TensorInfo {
    const info = this.output(shape, dtype);
    this.temporaries.push(info);
    return info;
  }

  /**
   * A view of a tensor's data on the heap. Any allocation may grow (and so detach) the
   * heap, so take views only after the last allocation they must survive.
   */
  view<T extends TypedArray = Float32Array>(info: TensorInfo): T {
    return this.backend.typedArrayFromHeap(info) as T;
  }

  /** Makes a tensor some other code allocated a temporary of this call. */
  adopt(info: TensorInfo): TensorInfo {
    this.temporaries.push(info);
    return info;
  }

  /** Runs one of the wasm backend's registered kernels; its output is a temporary. */
  run(kernelName: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
    const kernel = getKernel(kernelName, 'wasm');
    if (kernel === undefined) throw new Error(`wasm backend has no '${kernelName}' kernel`);
    const result = kernel.kernelFunc({ inputs, attrs, backend: this.backend }) as TensorInfo;
    this.temporaries.push(result);
    return result;
  }

  /** Frees every temporary except `keep`. */
  release(keep?: TensorInfo): void {
    for (const info of this.temporaries) {
      if (info !== keep) this.backend.disposeData(info.dataId);
    }
    this.temporaries.length = 0;
  }
}
