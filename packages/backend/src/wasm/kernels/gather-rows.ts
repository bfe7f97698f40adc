import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type GatherV2Attrs, type KernelConfig, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { WasmKernelContext } from '../wasm-kernel-context.js';

/**
 * tfjs-backend-wasm 4.22's GatherV2 computes every output element's source index in a
 * generic strided loop: gathering the compact preset's 192 valid frames out of
 * [240, 32, 32, 3] took 14 ms, 9 % of its training step. Without batch dimensions a
 * gather copies whole contiguous slices (everything after the gathered axis), so here
 * each one is a single typed-array copy (0.1 ms for those frames). Indices are checked
 * as the backend's own kernel checks them.
 */
export function gatherRows(original: KernelConfig): KernelConfig {
  const kernelFunc = (args: {
    inputs: { x: TensorInfo; indices: TensorInfo };
    backend: BackendWasm;
    attrs: GatherV2Attrs;
  }) => {
    const { x, indices } = args.inputs;
    if ((args.attrs.batchDims ?? 0) !== 0 || x.dtype === 'string' || x.dtype === 'complex64') {
      return original.kernelFunc(args as never);
    }
    const axis = util.parseAxisParam(args.attrs.axis, x.shape)[0] as number;
    const outer = util.sizeFromShape(x.shape.slice(0, axis));
    const axisSize = x.shape[axis] as number;
    const slice = util.sizeFromShape(x.shape.slice(axis + 1));
    const ctx = new WasmKernelContext(args.backend);
    const ids = args.backend.readSync(indices.dataId) as ArrayLike<number>;
    for (let i = 0; i < ids.length; i++) {
      const index = ids[i] as number;
      if (!(index >= 0 && index < axisSize)) {
        throw new Error(`GatherV2: the index value ${index} is not in [0, ${axisSize - 1}]`);
      }
    }
    const result = ctx.output([...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], x.dtype);
    const out = ctx.view(result);
    const xs = ctx.view(x);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < ids.length; i++) {
        const from = (o * axisSize + (ids[i] as number)) * slice;
        out.set(xs.subarray(from, from + slice), (o * ids.length + i) * slice);
      }
    }
    return result;
  };
  return { ...original, kernelFunc: kernelFunc as unknown as KernelConfig['kernelFunc'] };
}
