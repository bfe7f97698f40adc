/** A rectangle in source-frame pixels; it may reach outside the frame (that part reads as black). */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export type ColorMode = 'rgb' | 'grey';

/** Per output coordinate: the first source index and the weights of the consecutive sources. */
interface Taps {
  first: Int32Array;
  count: Int32Array;
  weights: Float32Array;
  stride: number;
}

/**
 * Weights of a triangle filter whose width grows with the shrink factor, so that downscaling
 * averages every source pixel (no aliasing) and upscaling interpolates linearly. An output
 * pixel whose centre lies outside [0, limit) is black; near the frame's edge the weights are
 * renormalised over the pixels that exist, so edges do not darken.
 */
function filterTaps(start: number, span: number, outSize: number, limit: number): Taps {
  const scale = span / outSize;
  const support = Math.max(1, scale);
  const stride = Math.ceil(2 * support) + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * stride);
  for (let o = 0; o < outSize; o++) {
    const center = start + (o + 0.5) * scale - 0.5; // source coordinate of the output pixel centre
    if (center < -0.5 || center >= limit - 0.5) continue;
    const from = Math.max(Math.ceil(center - support), 0);
    const to = Math.min(Math.floor(center + support), limit - 1);
    let total = 0;
    for (let s = from; s <= to; s++) total += Math.max(0, 1 - Math.abs(s - center) / support);
    first[o] = from;
    count[o] = to - from + 1;
    for (let s = from; s <= to; s++) {
      weights[o * stride + (s - from)] = Math.max(0, 1 - Math.abs(s - center) / support) / total;
    }
  }
  return { first, count, weights, stride };
}

/**
 * Cuts `box` out of an RGB frame (`width` x `height`, 3 bytes per pixel) and resizes it to
 * `size` x `size`, as RGB or grey (ITU-R BT.601 luma), into `out` at `outOffset`.
 */
export function cropResize(
  frame: Uint8Array,
  width: number,
  height: number,
  box: Box,
  size: number,
  color: ColorMode,
  out: Uint8Array,
  outOffset = 0,
): void {
  if (frame.length < width * height * 3) {
    throw new Error(
      `cropResize: frame holds ${frame.length} bytes; ${width}x${height} RGB needs ${width * height * 3}`,
    );
  }
  const xs = filterTaps(box.x, box.width, size, width);
  const ys = filterTaps(box.y, box.height, size, height);
  // Horizontal pass over only the rows the vertical pass will read.
  const rowLo = ys.count.some((c) => c > 0) ? Math.min(...ys.first.filter((_, i) => ys.count[i]! > 0)) : 0;
  const rowHi = Math.max(rowLo - 1, ...Array.from(ys.first, (f, i) => f + ys.count[i]! - 1));
  const rows = rowHi - rowLo + 1;
  const horizontal = new Float32Array(Math.max(rows, 0) * size * 3);
  for (let r = 0; r < rows; r++) {
    const srcRow = (rowLo + r) * width * 3;
    for (let o = 0; o < size; o++) {
      let red = 0;
      let green = 0;
      let blue = 0;
      const base = o * xs.stride;
      let p = srcRow + xs.first[o]! * 3;
      for (let k = 0; k < xs.count[o]!; k++, p += 3) {
        const w = xs.weights[base + k]!;
        red += w * frame[p]!;
        green += w * frame[p + 1]!;
        blue += w * frame[p + 2]!;
      }
      const h = (r * size + o) * 3;
      horizontal[h] = red;
      horizontal[h + 1] = green;
      horizontal[h + 2] = blue;
    }
  }
  const channels = color === 'rgb' ? 3 : 1;
  for (let oy = 0; oy < size; oy++) {
    const base = oy * ys.stride;
    for (let ox = 0; ox < size; ox++) {
      let red = 0;
      let green = 0;
      let blue = 0;
      for (let k = 0; k < ys.count[oy]!; k++) {
        const w = ys.weights[base + k]!;
        const h = ((ys.first[oy]! - rowLo + k) * size + ox) * 3;
        red += w * horizontal[h]!;
        green += w * horizontal[h + 1]!;
        blue += w * horizontal[h + 2]!;
      }
      const o = outOffset + (oy * size + ox) * channels;
      if (channels === 3) {
        out[o] = Math.round(red);
        out[o + 1] = Math.round(green);
        out[o + 2] = Math.round(blue);
      } else {
        out[o] = Math.round(0.299 * red + 0.587 * green + 0.114 * blue);
      }
    }
  }
}
