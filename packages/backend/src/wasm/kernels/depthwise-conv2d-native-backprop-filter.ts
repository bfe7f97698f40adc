import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  backend_util,
  DepthwiseConv2dNativeBackpropFilter,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { ConvPatches } from '../conv-patches.js';
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
  const { inChannels, outChannels } = info;
  const multiplier = outChannels / inChannels;
  const patches = new ConvPatches(info);

  const ctx = new WasmKernelContext(args.backend);
  const result = ctx.output(filterShape, 'float32');
  const dw = ctx.view(result).fill(0);
  const xs = ctx.view(x);
  const dys = ctx.view(dy);
  for (let p = 0; p < patches.positions; p++) {
    const dyBase = p * outChannels;
    patches.forEachTap(p, (column, xBase) => {
      const wBase = (column / inChannels) * outChannels;
      for (let c = 0; c < inChannels; c++) {
        const xv = xs[xBase + c] as number;
        for (let o = c * multiplier; o < (c + 1) * multiplier; o++) {
          dw[wBase + o] = (dw[wBase + o] as number) + xv * (dys[dyBase + o] as number);
        }
      }
    });
  }
  return result;
}

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter as unknown as KernelConfig['kernelFunc'],
};
