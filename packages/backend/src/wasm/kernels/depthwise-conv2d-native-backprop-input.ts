import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  backend_util,
  DepthwiseConv2dNativeBackpropInput,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { WasmKernelContext } from '../wasm-kernel-context.js';

/** dx[.., c] = sum over the output positions a pixel feeds of dy[.., c*M + m] * W[kh,kw,c,m]. */
function depthwiseConv2dNativeBackpropInput(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: BackendWasm;
  attrs: DepthwiseConv2dNativeBackpropInputAttrs;
}): TensorInfo {
  const { dy, filter } = args.inputs;
  const { strides, dilations, pad, dimRoundingMode, inputShape } = args.attrs;
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
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
  const result = ctx.output(inputShape, 'float32');
  const dx = ctx.view(result).fill(0);
  const dys = ctx.view(dy);
  const ws = ctx.view(filter);

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
              const o = c * multiplier;
              let acc = 0;
              for (let m = 0; m < multiplier; m++)
                acc += (dys[dyBase + o + m] as number) * (ws[wBase + o + m] as number);
              dx[xBase + c] = (dx[xBase + c] as number) + acc;
            }
          }
        }
      }
    }
  }
  return result;
}

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput as unknown as KernelConfig['kernelFunc'],
};
