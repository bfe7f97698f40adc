import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * tfjs-backend-wasm 4.22's Identity copies its input. The gradient tape saves every
 * tensor a gradient needs through Identity (`engine.clone`), so a training step copied
 * each activation it keeps: 357 copies in the compact preset's step. Tensors are never
 * written after their kernel returns (Reshape already shares data the same way), so here,
 * as on the cpu backend, Identity shares the input's data and counts one more reference.
 */
export function sharedIdentity(original: KernelConfig): KernelConfig {
  const kernelFunc = (args: { inputs: { x: TensorInfo }; backend: BackendWasm }) => {
    const { x } = args.inputs;
    if (x.dtype === 'string') return original.kernelFunc(args as never);
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  return { ...original, kernelFunc: kernelFunc as unknown as KernelConfig['kernelFunc'] };
}
