import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  backend_util,
  DepthwiseConv2dNativeBackpropInput,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { ConvPatches } from '../conv-patches.js';
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
  const { inChannels, outChannels } = info;
  const multiplier = outChannels / inChannels;
  const patches = new ConvPatches(info);

  const ctx = new WasmKernelContext(args.backend);
  const result = ctx.output(inputShape, 'float32');
  const dx = ctx.view(result).fill(0);
  const dys = ctx.view(dy);
  const ws = ctx.view(filter);
  for (let p = 0; p < patches.positions; p++) {
    const dyBase = p * outChannels;
    patches.forEachTap(p, (column, xBase) => {
      const wBase = (column / inChannels) * outChannels;
      for (let c = 0; c < inChannels; c++) {
        let acc = 0;
        for (let o = c * multiplier; o < (c + 1) * multiplier; o++) {
          acc += (dys[dyBase + o] as number) * (ws[wBase + o] as number);
        }
        dx[xBase + c] = (dx[xBase + c] as number) + acc;
      }
    });
  }
  return result;
}

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput as unknown as KernelConfig['kernelFunc'],
};
