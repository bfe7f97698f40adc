import type { backend_util } from '@tensorflow/tfjs-core';

/**
 * Walks the windows of a 2-D convolution or pooling (NHWC), as rows of its im2col
 * matrix: row p is output position p (batch, row, column order), and its K =
 * filterHeight * filterWidth * inChannels columns are the input pixels that output
 * reads, in the filter's own [kh, kw, c] order. Every gradient kernel here walks it:
 * the filter gradients gather x, the input gradients scatter back, max-pooling searches.
 */
export class ConvPatches {
  readonly patchSize: number;
  readonly positions: number;

  constructor(readonly info: backend_util.Conv2DInfo) {
    this.patchSize = info.filterHeight * info.filterWidth * info.inChannels;
    this.positions = info.batchSize * info.outHeight * info.outWidth;
  }

  /**
   * Calls visit(column, inputOffset) for each filter tap of output position p that
   * falls inside the input (taps in the padding are skipped); inChannels consecutive
   * columns map to inChannels consecutive input values from there.
   */
  forEachTap(p: number, visit: (column: number, inputOffset: number) => void): void {
    const { outHeight, outWidth, inHeight, inWidth, inChannels, filterHeight, filterWidth } = this.info;
    const { strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = this.info;
    const b = Math.floor(p / (outHeight * outWidth));
    const oh = Math.floor(p / outWidth) % outHeight;
    const ow = p % outWidth;
    for (let kh = 0; kh < filterHeight; kh++) {
      const ih = oh * strideHeight + kh * dilationHeight - padInfo.top;
      if (ih < 0 || ih >= inHeight) continue;
      for (let kw = 0; kw < filterWidth; kw++) {
        const iw = ow * strideWidth + kw * dilationWidth - padInfo.left;
        if (iw < 0 || iw >= inWidth) continue;
        visit((kh * filterWidth + kw) * inChannels, ((b * inHeight + ih) * inWidth + iw) * inChannels);
      }
    }
  }
}
