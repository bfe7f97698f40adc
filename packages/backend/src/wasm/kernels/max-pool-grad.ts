import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  backend_util,
  type KernelConfig,
  MaxPoolGrad,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { WasmKernelContext } from '../wasm-kernel-context.js';

/**
 * Replaces tfjs-backend-wasm 4.22's MaxPoolGrad, which routes the gradient of a window
 * whose maximum is negative to the window's first element (so does its
 * MaxPoolWithArgmax, which starts each search at FLT_MIN). Each output's gradient goes to
 * the first position holding its window's maximum, as on the cpu backend: the first
 * that equals the forward's output, so the search has no data-dependent branch until it
 * ends (keeping a running maximum mispredicts often on noise: the compact preset's stem
 * pool gradient, [192, 16, 16, 8] 3x3 stride 2, 8.4 -> 4.6 ms, same run). The window's
 * bounds are clipped once per output, not tested per tap (a callback per tap was 1.5x
 * slower).
 */
function maxPoolGrad(args: {
  inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
  backend: BackendWasm;
  attrs: MaxPoolGradAttrs;
}): TensorInfo {
  const { dy, input, output } = args.inputs;
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs;
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth, padInfo } = info;
  const { effectiveFilterHeight, effectiveFilterWidth } = info;

  const ctx = new WasmKernelContext(args.backend);
  const result = ctx.output(input.shape, 'float32');
  const dx = ctx.view(result).fill(0);
  const xs = ctx.view(input);
  const dys = ctx.view(dy);
  const ys = ctx.view(output);
  let p = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const top = oh * strideHeight - padInfo.top;
      const h0 = Math.max(0, top);
      const h1 = Math.min(inHeight, top + effectiveFilterHeight);
      for (let ow = 0; ow < outWidth; ow++, p++) {
        const left = ow * strideWidth - padInfo.left;
        const w0 = Math.max(0, left);
        const w1 = Math.min(inWidth, left + effectiveFilterWidth);
        for (let c = 0; c < inChannels; c++) {
          const best = ys[p * inChannels + c] as number;
          let where = -1;
          search: for (let ih = h0; ih < h1; ih++) {
            for (let iw = w0, index = ((b * inHeight + ih) * inWidth + w0) * inChannels + c; iw < w1; iw++) {
              if (xs[index] === best) {
                where = index;
                break search;
              }
              index += inChannels;
            }
          }
          if (where >= 0) dx[where] = (dx[where] as number) + (dys[p * inChannels + c] as number);
        }
      }
    }
  }
  return result;
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelConfig['kernelFunc'],
};
