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
import { WasmKernelContext } from '../wasm-kernel-context.js';

/** tfjs flag: the largest im2col block, in floats (default 64 MiB), which bounds memory for long 1-D convolutions. */
export const IM2COL_BLOCK_FLOATS_FLAG = 'MTL_WASM_IM2COL_BLOCK_FLOATS';
env().registerFlag(IM2COL_BLOCK_FLOATS_FLAG, () => 16 * 1024 * 1024);

/**
 * dW = im2col(x)^T · dy, the im2col matrix built block by block so its memory stays
 * bounded, and each block multiplied by the wasm backend's own (XNNPACK) BatchMatMul.
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
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    format,
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const patchSize = filterHeight * filterWidth * inChannels;
  const positions = batchSize * outHeight * outWidth;
  const rowsPerBlock = Math.max(
    1,
    Math.min(positions, Math.floor(env().getNumber(IM2COL_BLOCK_FLOATS_FLAG) / patchSize)),
  );

  const ctx = new WasmKernelContext(args.backend);
  const single = rowsPerBlock === positions;
  const result = single ? undefined : ctx.output(filterShape, 'float32');
  if (result !== undefined) ctx.view(result).fill(0);

  for (let start = 0; start < positions; start += rowsPerBlock) {
    const rows = Math.min(rowsPerBlock, positions - start);
    const patches = ctx.temporary([1, rows, patchSize]);
    const dyBlock = single ? { ...dy, shape: [1, rows, outChannels] } : ctx.temporary([1, rows, outChannels]);
    const xs = ctx.view(x);
    const cols = ctx.view(patches);
    if (!single) ctx.view(dyBlock).set(ctx.view(dy).subarray(start * outChannels, (start + rows) * outChannels));

    for (let r = 0; r < rows; r++) {
      const p = start + r;
      const b = Math.floor(p / (outHeight * outWidth));
      const oh = Math.floor(p / outWidth) % outHeight;
      const ow = p % outWidth;
      let o = r * patchSize;
      for (let kh = 0; kh < filterHeight; kh++) {
        const ih = oh * strideHeight + kh * dilationHeight - padTop;
        const rowInside = ih >= 0 && ih < inHeight;
        for (let kw = 0; kw < filterWidth; kw++) {
          const iw = ow * strideWidth + kw * dilationWidth - padLeft;
          if (rowInside && iw >= 0 && iw < inWidth) {
            const src = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            for (let c = 0; c < inChannels; c++) cols[o + c] = xs[src + c] as number;
          } else {
            cols.fill(0, o, o + inChannels);
          }
          o += inChannels;
        }
      }
    }

    const product = ctx.run(BatchMatMul, { a: patches, b: dyBlock }, { transposeA: true, transposeB: false });
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
