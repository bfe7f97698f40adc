import type { SeededRandom } from '@mtl/common';

/** Fills a variable of `shape` (tfjs layout: kernels end in [..., in, out]) from `random`. */
export type Initializer = (shape: readonly number[], random: SeededRandom) => Float32Array;

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Fan-in and fan-out of a kernel laid out [...receptive field, in, out]. */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  const receptive = sizeOf(shape.slice(0, -2));
  return { fanIn: receptive * shape[shape.length - 2]!, fanOut: receptive * shape[shape.length - 1]! };
}

export function zeros(): Initializer {
  return (shape) => new Float32Array(sizeOf(shape));
}

export function constant(value: number): Initializer {
  return (shape) => new Float32Array(sizeOf(shape)).fill(value);
}

/** Glorot (Xavier) uniform: U(-l, l) with l = sqrt(6 / (fanIn + fanOut)); for linear and tanh/sigmoid layers. */
export function glorotUniform(): Initializer {
  return (shape, random) => {
    const { fanIn, fanOut } = fans(shape);
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const values = new Float32Array(sizeOf(shape));
    for (let i = 0; i < values.length; i++) values[i] = (2 * random.uniform() - 1) * limit;
    return values;
  };
}

/** He (Kaiming) normal: N(0, 2 / fanIn); keeps the activation variance through ReLU layers. */
export function heNormal(): Initializer {
  return (shape, random) => {
    const std = Math.sqrt(2 / fans(shape).fanIn);
    const values = new Float32Array(sizeOf(shape));
    for (let i = 0; i < values.length; i++) values[i] = random.normal() * std;
    return values;
  };
}

/**
 * Orthogonal (Saxe et al. 2014) for a 2-D shape [rows, cols]: orthonormal columns when
 * rows >= cols, orthonormal rows otherwise, scaled by `gain`. Modified Gram-Schmidt in
 * float64 on a Gaussian matrix (well conditioned, so one pass is exact to float32) gives a
 * uniformly distributed orthogonal matrix.
 */
export function orthogonal(gain = 1): Initializer {
  return (shape, random) => {
    if (shape.length !== 2) {
      throw new Error(`orthogonal initializer: needs a 2-D shape, got [${shape.join(', ')}]`);
    }
    const [rows, cols] = shape as [number, number];
    const tall = Math.max(rows, cols);
    const narrow = Math.min(rows, cols);
    // columns[j] is column j of a tall x narrow matrix.
    const columns: Float64Array[] = [];
    for (let j = 0; j < narrow; j++) {
      const column = new Float64Array(tall);
      for (let i = 0; i < tall; i++) column[i] = random.normal();
      for (const previous of columns) {
        let dot = 0;
        for (let i = 0; i < tall; i++) dot += previous[i]! * column[i]!;
        for (let i = 0; i < tall; i++) column[i]! -= dot * previous[i]!;
      }
      let norm = 0;
      for (let i = 0; i < tall; i++) norm += column[i]! * column[i]!;
      norm = Math.sqrt(norm);
      for (let i = 0; i < tall; i++) column[i]! /= norm;
      columns.push(column);
    }
    const values = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        values[r * cols + c] = gain * (rows >= cols ? columns[c]![r]! : columns[r]![c]!);
      }
    }
    return values;
  };
}

/**
 * Splits the last axis into `blocks` equal parts and fills each with `inner` on its own,
 * e.g. one orthogonal matrix per LSTM gate rather than one across the four gates.
 */
export function blockwise(inner: Initializer, blocks: number): Initializer {
  return (shape, random) => {
    const last = shape[shape.length - 1] ?? 0;
    if (last % blocks !== 0) {
      throw new Error(`blockwise initializer: last axis ${last} is not divisible into ${blocks} blocks`);
    }
    const width = last / blocks;
    const outer = sizeOf(shape) / last;
    const values = new Float32Array(sizeOf(shape));
    for (let b = 0; b < blocks; b++) {
      const block = inner([...shape.slice(0, -1), width], random);
      for (let o = 0; o < outer; o++) {
        values.set(block.subarray(o * width, (o + 1) * width), o * last + b * width);
      }
    }
    return values;
  };
}
