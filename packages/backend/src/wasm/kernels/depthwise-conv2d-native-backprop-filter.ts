import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  backend_util,
  DepthwiseConv2dNativeBackpropFilter,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { WasmKernelContext } from '../wasm-kernel-context.js';

/** dW[kh,kw,c,m] = sum over batch and output positions of x[.., c] * dy[.., c*M + m]. */
function depthwiseConv2dNativeBackpropFilter(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: BackendWasm;
  attrs: DepthwiseConv2dNativeBackpropFilterAttrs;
}): TensorInfo {
  const { x, dy } = args.inputs;
  const { strides, dilations, pad, dimRoundingMode, filterShape } = args.attrs;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const multiplier = outChannels / inChannels;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;

  const ctx = new WasmKernelContext(args.backend);
  const result = ctx.output(filterShape, 'float32');
  const dw = ctx.view(result).fill(0);
  const xs = ctx.view(x);
  const dys = ctx.view(dy);

  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * outChannels;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight + kh * dilationHeight - padTop;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = ow * strideWidth + kw * dilationWidth - padLeft;
            if (iw < 0 || iw >= inWidth) continue;
            const xBase = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            const wBase = (kh * filterWidth + kw) * outChannels;
            for (let c = 0; c < inChannels; c++) {
              const xv = xs[xBase + c] as number;
              const o = c * multiplier;
              for (let m = 0; m < multiplier; m++) {
                dw[wBase + o + m] = (dw[wBase + o + m] as number) + xv * (dys[dyBase + o + m] as number);
              }
            }
          }
        }
      }
    }
  }
  return result;
}

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter as unknown as KernelConfig['kernelFunc'],
};
