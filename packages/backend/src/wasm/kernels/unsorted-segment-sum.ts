import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  type KernelConfig,
  type TensorInfo,
  UnsortedSegmentSum,
  type UnsortedSegmentSumAttrs,
  util,
} from '@tensorflow/tfjs-core';
import { WasmKernelContext } from '../wasm-kernel-context.js';

/**
 * out[s, ...] = sum of x[i, ...] over every i with segmentIds[i] = s. As in TensorFlow,
 * segmentIds may cover the first k axes of x, and ids outside [0, numSegments) are dropped.
 */
function unsortedSegmentSum(args: {
  inputs: { x: TensorInfo; segmentIds: TensorInfo };
  backend: BackendWasm;
  attrs: UnsortedSegmentSumAttrs;
}): TensorInfo {
  const { x, segmentIds } = args.inputs;
  const { numSegments } = args.attrs;
  const idRank = segmentIds.shape.length;
  if (!util.arraysEqual(segmentIds.shape, x.shape.slice(0, idRank))) {
    throw new Error(
      `UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}]`,
    );
  }
  const inner = util.sizeFromShape(x.shape.slice(idRank));
  const ctx = new WasmKernelContext(args.backend);
  const result = ctx.output([numSegments, ...x.shape.slice(idRank)], x.dtype);
  const out = ctx.view(result).fill(0);
  const xs = ctx.view(x);
  const ids = ctx.view<Int32Array>(segmentIds);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i] as number;
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) out[dst + j] = (out[dst + j] as number) + (xs[src + j] as number);
  }
  return result;
}

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum as unknown as KernelConfig['kernelFunc'],
};
