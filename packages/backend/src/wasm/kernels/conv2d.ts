import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { backend_util, type Conv2DAttrs, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import { blockedConv1d, isLongConv1d } from '../long-conv1d.js';
import { WasmKernelContext } from '../wasm-kernel-context.js';

/**
 * Conv2D and FusedConv2D with long 1-D convolutions run in blocks of output positions
 * (see MAX_NATIVE_TAPS): the paper preset's k4000 waveform conv over a 6 s clip asks
 * XNNPACK for a 768 MiB indirection buffer in one call, kept afterwards by the cached
 * operator. Every other convolution is the backend's own.
 */
export function longConv1dForward(original: KernelConfig): KernelConfig {
  const kernelFunc = (args: {
    inputs: Record<string, TensorInfo>;
    backend: BackendWasm;
    attrs: Conv2DAttrs & Record<string, unknown>;
  }) => {
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const { strides, pad, dilations, dimRoundingMode, dataFormat } = args.attrs;
    const format = backend_util.convertConv2DDataFormat(dataFormat);
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      strides,
      dilations,
      pad,
      dimRoundingMode,
      false,
      format,
    );
    if (format !== 'channelsLast' || !isLongConv1d(info)) return original.kernelFunc(args as never);
    const ctx = new WasmKernelContext(args.backend);
    return blockedConv1d(
      ctx,
      x,
      info,
      (slice) =>
        original.kernelFunc({
          ...args,
          inputs: { ...args.inputs, x: slice },
          attrs: { ...args.attrs, pad: 'valid' },
        } as never) as TensorInfo,
    );
  };
  return { ...original, kernelFunc: kernelFunc as unknown as KernelConfig['kernelFunc'] };
}
