import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  backend_util,
  type KernelConfig,
  MaxPoolGrad,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { ConvPatches } from '../conv-patches.js';
import { WasmKernelContext } from '../wasm-kernel-context.js';

/**
 * Replaces tfjs-backend-wasm 4.22's MaxPoolGrad, which routes the gradient of a window
 * whose maximum is negative to the window's first element. Each output's gradient goes
 * to the first position holding its window's maximum, as on the cpu backend. Channels
 * are the inner loop, so every read and write is contiguous.
 */
function maxPoolGrad(args: {
  inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
  backend: BackendWasm;
  attrs: MaxPoolGradAttrs;
}): TensorInfo {
  const { dy, input } = args.inputs;
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs;
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { inChannels } = info;
  const patches = new ConvPatches(info);

  const ctx = new WasmKernelContext(args.backend);
  const result = ctx.output(input.shape, 'float32');
  const dx = ctx.view(result).fill(0);
  const xs = ctx.view(input);
  const dys = ctx.view(dy);
  const best = new Float32Array(inChannels);
  const where = new Int32Array(inChannels);
  for (let p = 0; p < patches.positions; p++) {
    best.fill(Number.NEGATIVE_INFINITY);
    where.fill(-1);
    patches.forEachTap(p, (_column, base) => {
      for (let c = 0; c < inChannels; c++) {
        const value = xs[base + c] as number;
        if (value > (best[c] as number) || (where[c] as number) < 0) {
          best[c] = value;
          where[c] = base + c;
        }
      }
    });
    const dyBase = p * inChannels;
    for (let c = 0; c < inChannels; c++) {
      const index = where[c] as number;
      if (index >= 0) dx[index] = (dx[index] as number) + (dys[dyBase + c] as number);
    }
  }
  return result;
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelConfig['kernelFunc'],
};
