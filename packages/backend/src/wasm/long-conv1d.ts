import { backend_util, PadV2, Slice, type TensorInfo } from '@tensorflow/tfjs-core';
import { WasmKernelContext } from './wasm-kernel-context.js';

/**
 * XNNPACK's convolutions build an indirection buffer of one 4-byte pointer per filter tap
 * per output position; above this many (16 MiB of pointers) a convolution is run in
 * blocks. The paper preset's k4000 waveform conv over a 6 s clip (48,000 positions) would
 * need 768 MiB at once, and its operator, cached with the weights, would keep it.
 */
export const MAX_NATIVE_TAPS = 4 * 1024 * 1024;

/** A one-row convolution ([batch, 1, width, channels]) with more taps x output positions than MAX_NATIVE_TAPS. */
export function isLongConv1d(info: backend_util.Conv2DInfo): boolean {
  return (
    info.inHeight === 1 &&
    info.filterHeight === 1 &&
    info.outHeight === 1 &&
    info.filterWidth * info.outWidth > MAX_NATIVE_TAPS
  );
}

/**
 * Runs a long 1-D convolution in blocks of output positions. x is padded once by the
 * convolution's own padding; `visit(slice, start, count)` gets the input columns that
 * output positions [start, start + count) read, for a 'valid' convolution.
 */
export function forEachConv1dBlock(
  backend: WasmKernelContext['backend'],
  x: TensorInfo,
  info: backend_util.Conv2DInfo,
  visit: (slice: TensorInfo, start: number, count: number) => void,
): void {
  const outer = new WasmKernelContext(backend);
  const { left, right } = info.padInfo;
  const padded =
    left === 0 && right === 0
      ? x
      : outer.run(PadV2, { x }, {
          paddings: [
            [0, 0],
            [0, 0],
            [left, right],
            [0, 0],
          ],
          constantValue: 0,
        } as never);
  const blockWidth = Math.max(1, Math.floor(MAX_NATIVE_TAPS / info.filterWidth));
  const reach = (info.filterWidth - 1) * info.dilationWidth + 1;
  for (let start = 0; start < info.outWidth; start += blockWidth) {
    const count = Math.min(blockWidth, info.outWidth - start);
    const inner = new WasmKernelContext(backend);
    const slice = inner.run(
      Slice,
      { x: padded },
      {
        begin: [0, 0, start * info.strideWidth, 0],
        size: [info.batchSize, 1, (count - 1) * info.strideWidth + reach, info.inChannels],
      },
    );
    visit(slice, start, count);
    inner.release();
  }
  outer.release();
}

/**
 * A long 1-D convolution's output [batch, 1, outWidth, outChannels], block by block:
 * `convolve` runs the backend's own convolution on one block's input slice, 'valid'.
 */
export function blockedConv1d(
  ctx: WasmKernelContext,
  x: TensorInfo,
  info: backend_util.Conv2DInfo,
  convolve: (slice: TensorInfo) => TensorInfo,
): TensorInfo {
  const { batchSize, outWidth, outChannels } = info;
  const result = ctx.output([batchSize, 1, outWidth, outChannels]);
  forEachConv1dBlock(ctx.backend, x, info, (slice, start, count) => {
    const block = convolve(slice);
    const from = ctx.view(block);
    const to = ctx.view(result);
    for (let b = 0; b < batchSize; b++) {
      to.set(
        from.subarray(b * count * outChannels, (b + 1) * count * outChannels),
        (b * outWidth + start) * outChannels,
      );
    }
    ctx.backend.disposeData(block.dataId);
  });
  return result;
}

/** The 'valid' convolution info of one block's slice (for the filter gradient). */
export function sliceInfo(
  slice: TensorInfo,
  filterShape: [number, number, number, number],
  info: backend_util.Conv2DInfo,
): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(
    slice.shape as [number, number, number, number],
    filterShape,
    [info.strideHeight, info.strideWidth],
    1,
    'valid',
  );
}
