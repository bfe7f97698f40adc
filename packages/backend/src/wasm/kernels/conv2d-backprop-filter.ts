import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  BatchMatMul,
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  env,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { ConvPatches } from '../conv-patches.js';
import { WasmKernelContext } from '../wasm-kernel-context.js';

/** tfjs flag: the largest im2col block, in floats (default 64 MiB), which bounds memory for long 1-D convolutions. */
export const IM2COL_BLOCK_FLOATS_FLAG = 'MTL_WASM_IM2COL_BLOCK_FLOATS';
env().registerFlag(IM2COL_BLOCK_FLOATS_FLAG, () => 16 * 1024 * 1024);

/** Output positions per im2col block for patches of the given size. */
export function im2colBlockRows(patches: ConvPatches): number {
  const budget = Math.floor(env().getNumber(IM2COL_BLOCK_FLOATS_FLAG) / patches.patchSize);
  return Math.max(1, Math.min(patches.positions, budget));
}

/**
 * dW = im2col(x)^T · dy. The im2col matrix is written already transposed ([K, rows]),
 * so the product is one untransposed XNNPACK BatchMatMul of the wasm backend; it is
 * built in blocks of output positions so its memory stays bounded.
 */
function conv2DBackpropFilter(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: BackendWasm;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const { x, dy } = args.inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs;
  const format = backend_util.convertConv2DDataFormat(dataFormat);
  if (format !== 'channelsLast') throw new Error(`Conv2DBackpropFilter on wasm supports NHWC only, got ${dataFormat}`);
  const patches = new ConvPatches(
    backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      format,
    ),
  );
  const { patchSize, positions } = patches;
  const { inChannels, outChannels } = patches.info;
  const blockRows = im2colBlockRows(patches);

  const ctx = new WasmKernelContext(args.backend);
  const single = blockRows === positions;
  const result = single ? undefined : ctx.output(filterShape, 'float32');
  if (result !== undefined) ctx.view(result).fill(0);

  for (let start = 0; start < positions; start += blockRows) {
    const rows = Math.min(blockRows, positions - start);
    const patchesT = ctx.temporary([1, patchSize, rows]);
    const dyBlock = single ? { ...dy, shape: [1, rows, outChannels] } : ctx.temporary([1, rows, outChannels]);
    const xs = ctx.view(x);
    const cols = ctx.view(patchesT).fill(0);
    if (!single) ctx.view(dyBlock).set(ctx.view(dy).subarray(start * outChannels, (start + rows) * outChannels));
    for (let r = 0; r < rows; r++) {
      patches.forEachTap(start + r, (column, offset) => {
        for (let c = 0; c < inChannels; c++) cols[(column + c) * rows + r] = xs[offset + c] as number;
      });
    }

    const product = ctx.run(BatchMatMul, { a: patchesT, b: dyBlock }, { transposeA: false, transposeB: false });
    if (result === undefined) {
      ctx.release(product);
      return { ...product, shape: filterShape };
    }
    const sum = ctx.view(result);
    const part = ctx.view(product);
    for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (part[i] as number);
    ctx.release();
  }
  return result as TensorInfo;
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelConfig['kernelFunc'],
};
