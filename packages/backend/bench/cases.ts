import * as tf from '@tensorflow/tfjs-core';

/** One benchmark case: inputs, the op, and its forward multiply-add count. */
export interface BenchCase {
  name: string;
  shapes: number[][];
  /** Forward floating-point operations (2 per multiply-add). */
  flops: number;
  /** Forward + backward FLOPs: gradients for every input. */
  trainFlops: number;
  /** Inputs that get gradients; all of them unless given. */
  differentiate?: number[];
  /** Runs the cpu backend too; off where it would take minutes. */
  onCpu: boolean;
  f: (...xs: tf.Tensor[]) => tf.Tensor;
}

const convFlops = (positions: number, kernel: number, inChannels: number, outChannels: number) =>
  2 * positions * kernel * inChannels * outChannels;

function conv1dCase(
  name: string,
  batch: number,
  width: number,
  inC: number,
  kernel: number,
  stride: number,
  outC: number,
  onCpu: boolean,
): BenchCase {
  const outWidth = Math.ceil(width / stride);
  const flops = convFlops(batch * outWidth, kernel, inC, outC);
  return {
    name,
    shapes: [
      [batch, width, inC],
      [kernel, inC, outC],
    ],
    flops,
    // The input gradient of a first layer is not needed in training; weights only there.
    trainFlops: inC === 1 ? 2 * flops : 3 * flops,
    differentiate: inC === 1 ? [1] : [0, 1],
    onCpu,
    f: (x, w) => tf.conv1d(x as tf.Tensor3D, w as tf.Tensor3D, stride, 'same'),
  };
}

function conv2dCase(
  name: string,
  batch: number,
  size: number,
  inC: number,
  kernel: number,
  stride: number,
  outC: number,
): BenchCase {
  const out = Math.ceil(size / stride);
  const flops = convFlops(batch * out * out, kernel * kernel, inC, outC);
  return {
    name,
    shapes: [
      [batch, size, size, inC],
      [kernel, kernel, inC, outC],
    ],
    flops,
    trainFlops: inC === 3 ? 2 * flops : 3 * flops,
    differentiate: inC === 3 ? [1] : [0, 1],
    onCpu: true,
    f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, 'same'),
  };
}

function lstmSequenceCase(name: string, batch: number, steps: number, input: number, hidden: number): BenchCase {
  const stepFlops = 2 * batch * (input + hidden) * 4 * hidden + 10 * batch * hidden;
  return {
    name,
    shapes: [[batch, steps, input], [input + hidden, 4 * hidden], [4 * hidden]],
    flops: steps * stepFlops,
    trainFlops: 3 * steps * stepFlops,
    onCpu: true,
    f: (xs, kernel, bias) => {
      let h = tf.zeros([batch, hidden]);
      let c = tf.zeros([batch, hidden]);
      for (const x of tf.unstack(xs, 1)) {
        const z = tf.add(tf.matMul(tf.concat([x, h], 1), kernel as tf.Tensor2D), bias);
        const [i, f, g, o] = tf.split(z, 4, 1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
        h = tf.mul(tf.sigmoid(o), tf.tanh(c));
      }
      return h;
    },
  };
}

/**
 * Shapes of @mtl/models' presets: `paper` (PAPER.md: conv 1->40 k80 and 40->40 k4000 on
 * 16 kHz audio, ResNet-50 on 96x96 frames, a 2-layer 256-unit LSTM over 3328 features)
 * cut to short inputs so the cpu backend finishes, and `compact` at its real size for a
 * batch of 8 clips of 3 s (10 frames/s, 32x32 frames, strided waveform convs, 64-unit
 * LSTM over 232 features). Plus the conv2d the issue measured first, for comparison.
 */
export const benchCases: BenchCase[] = [
  {
    name: 'matmul 1024x1024x1024',
    shapes: [
      [1024, 1024],
      [1024, 1024],
    ],
    flops: 2 * 1024 ** 3,
    trainFlops: 3 * 2 * 1024 ** 3,
    onCpu: false,
    f: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
  },
  conv1dCase('paper conv1d k80 s1 1->40, 0.5 s', 1, 8000, 1, 80, 1, 40, true),
  conv1dCase('paper conv1d k4000 s1 40->40, 0.05 s', 1, 400, 40, 4000, 1, 40, false),
  conv2dCase('paper conv2d ResNet stem 7x7 s2 3->64, 10 frames 96x96', 10, 96, 3, 7, 2, 64),
  lstmSequenceCase('paper LSTM step, batch 8, 3328+256 -> 256', 8, 1, 3328, 256),
  conv1dCase('compact conv1d k32 s8 1->8, 8 x 3 s', 8, 48000, 1, 32, 8, 8, true),
  conv1dCase('compact conv1d k32 s4 8->16, 8 x 3 s', 8, 3000, 8, 32, 4, 16, true),
  conv2dCase('compact conv2d stem 3x3 s2 3->8, 240 frames 32x32', 240, 32, 3, 3, 2, 8),
  conv2dCase('compact conv2d 3x3 s1 8->16, 240 frames 8x8', 240, 8, 8, 3, 1, 16),
  conv2dCase('compact conv2d 3x3 s2 16->32, 240 frames 8x8', 240, 8, 16, 3, 2, 32),
  {
    name: 'compact maxPool 2x2 s2, 240 frames 16x16x8',
    shapes: [[240, 16, 16, 8]],
    flops: 240 * 8 * 8 * 8 * 4,
    trainFlops: 2 * 240 * 8 * 8 * 8 * 4,
    onCpu: true,
    f: (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'),
  },
  lstmSequenceCase('compact LSTM sequence 30 steps, batch 8, 232 -> 64', 8, 30, 232, 64),
  conv2dCase("conv2d 3x3 s2 3->16, 200 frames 48x48 (the issue's example)", 200, 48, 3, 3, 2, 16),
];
