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
 * Shapes of the paper preset (PAPER.md: conv 1->40 k80, conv 40->40 k4000 on 16 kHz audio,
 * 96x96 frames, a 256-unit LSTM over 25 fps frames) and of a compact one (strided
 * waveform convs, small frames), cut to short inputs so the cpu backend finishes.
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
  conv1dCase('conv1d paper k80 s1 1->40, 0.5 s', 1, 8000, 1, 80, 1, 40, true),
  conv1dCase('conv1d paper k4000 s1 40->40, 0.05 s', 1, 400, 40, 4000, 1, 40, false),
  conv1dCase('conv1d compact k32 s8 1->16, batch 8 x 1 s', 8, 16000, 1, 32, 8, 16, true),
  conv1dCase('conv1d compact k9 s4 16->32, batch 8 x 1 s', 8, 2000, 16, 9, 4, 32, true),
  conv2dCase('conv2d 3x3 s2 3->16, 200 frames 48x48', 200, 48, 3, 3, 2, 16),
  conv2dCase('conv2d 3x3 s1 16->32, 200 frames 24x24', 200, 24, 16, 3, 1, 32),
  conv2dCase('conv2d paper resnet stem 7x7 s2 3->64, 25 frames 96x96', 25, 96, 3, 7, 2, 64),
  {
    name: 'maxPool 2x2 s2, 200 frames 24x24x32',
    shapes: [[200, 24, 24, 32]],
    flops: 200 * 12 * 12 * 32 * 4,
    trainFlops: 2 * 200 * 12 * 12 * 32 * 4,
    onCpu: true,
    f: (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'),
  },
  lstmSequenceCase('LSTM step, batch 8, 1280+256 -> 256', 8, 1, 1280, 256),
  lstmSequenceCase('LSTM sequence 50 steps, batch 8, 64 -> 64', 8, 50, 64, 64),
];
