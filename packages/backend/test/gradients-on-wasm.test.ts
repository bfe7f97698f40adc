import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.js';
import { randomValues, relativeError, seededRandom } from './helpers.js';

/**
 * Every op the project's models and losses use, differentiated on wasm and on cpu. A
 * kernel that wasm lacks shows up here as a failure naming the kernel; this is how the
 * kernels in src/wasm were found.
 */
type Case = { shapes: number[][]; f: (...xs: tf.Tensor[]) => tf.Tensor };
const r = <T extends tf.Tensor>(t: tf.Tensor, shape: number[]) => tf.reshape(t, shape) as T;

const cases: Record<string, Case> = {
  conv1d_k80_same: {
    shapes: [
      [2, 200, 1],
      [80, 1, 4],
    ],
    f: (x, w) => tf.conv1d(x as tf.Tensor3D, w as tf.Tensor3D, 1, 'same'),
  },
  conv1d_stride4_valid: {
    shapes: [
      [2, 101, 3],
      [9, 3, 5],
    ],
    f: (x, w) => tf.conv1d(x as tf.Tensor3D, w as tf.Tensor3D, 4, 'valid'),
  },
  conv2d_stride2_same: {
    shapes: [
      [3, 11, 9, 3],
      [3, 3, 3, 4],
    ],
    f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'),
  },
  conv2d_bias_relu_fused: {
    shapes: [[2, 8, 8, 2], [3, 3, 2, 3], [3]],
    f: (x, w, b) =>
      tf.fused.conv2d({
        x: x as tf.Tensor4D,
        filter: w as tf.Tensor4D,
        strides: 1,
        pad: 'same',
        bias: b,
        activation: 'relu',
      }),
  },
  depthwise_conv2d: {
    shapes: [
      [2, 9, 7, 3],
      [3, 3, 3, 2],
    ],
    f: (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'),
  },
  separable_conv2d: {
    shapes: [
      [1, 8, 8, 3],
      [3, 3, 3, 1],
      [1, 1, 3, 4],
    ],
    f: (x, d, p) => tf.separableConv2d(x as tf.Tensor4D, d as tf.Tensor4D, p as tf.Tensor4D, 1, 'valid'),
  },
  max_pool: { shapes: [[2, 9, 9, 3]], f: (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same') },
  avg_pool: { shapes: [[2, 8, 8, 3]], f: (x) => tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid') },
  max_over_channels: { shapes: [[2, 6, 40]], f: (x) => tf.max(r(x, [2, 6, 4, 10]), 3) },
  mat_mul: {
    shapes: [
      [5, 7],
      [7, 3],
    ],
    f: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
  },
  batch_mat_mul_transposed: {
    shapes: [
      [2, 7, 5],
      [2, 3, 7],
    ],
    f: (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, true, true),
  },
  lstm_gates: {
    shapes: [[4, 6], [6, 16], [16]],
    f: (x, w, b) => {
      const z = tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b as tf.Tensor1D);
      const [i, f, g, o] = tf.split(z, 4, 1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      const c = tf.add(tf.mul(tf.sigmoid(f), tf.onesLike(f)), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      return tf.mul(tf.sigmoid(o), tf.tanh(c));
    },
  },
  batch_norm: {
    shapes: [[4, 5, 3], [3], [3]],
    f: (x, g, b) => {
      const { mean, variance } = tf.moments(x, [0, 1]);
      return tf.batchNorm(x, mean, variance, b as tf.Tensor1D, g as tf.Tensor1D, 1e-5);
    },
  },
  activations: {
    shapes: [[3, 8]],
    f: (x) =>
      tf.addN([tf.elu(x), tf.leakyRelu(x, 0.1), tf.relu6(x), tf.selu(x), tf.softplus(x), tf.sigmoid(x), tf.tanh(x)]),
  },
  log_softmax_cross_entropy: {
    shapes: [[4, 5]],
    f: (x) => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([0, 3, 1, 4], 'int32'), 5), x),
  },
  gather_last_valid_frame: {
    shapes: [[3, 5, 4]],
    f: (x) => tf.gather(r(x, [15, 4]), tf.tensor1d([4, 7, 14], 'int32')),
  },
  gather_nd: {
    shapes: [[3, 5, 4]],
    f: (x) =>
      tf.gatherND(
        x,
        tf.tensor2d(
          [
            [0, 4],
            [1, 2],
            [2, 0],
          ],
          [3, 2],
          'int32',
        ),
      ),
  },
  concat_slice_stack: {
    shapes: [
      [2, 3],
      [2, 4],
    ],
    f: (a, b) =>
      tf.stack([
        tf.slice(tf.concat([a, b], 1), [0, 1], [2, 5]),
        tf.reverse(tf.slice(tf.concat([b, a], 1), [0, 0], [2, 5]), 1),
      ]),
  },
  unstack_single_step: { shapes: [[3, 1, 4]], f: (x) => tf.mul(tf.unstack(x, 1)[0]!, 2) },
  unstack_transpose_pad_tile: {
    shapes: [[2, 3, 4]],
    f: (x) =>
      tf.tile(
        tf.pad(tf.transpose(tf.unstack(x)[1]!), [
          [1, 0],
          [0, 2],
        ]),
        [2, 1],
      ),
  },
  reductions_and_masks: {
    shapes: [[4, 6]],
    f: (x) => {
      const mask = tf.cast(tf.greater(x, 0), 'float32');
      return tf.stack([
        tf.sum(tf.mul(x, mask)),
        tf.mean(x),
        tf.min(x),
        tf.prod(tf.add(x, 2)),
        tf.logSumExp(x),
        tf.norm(x),
      ]);
    },
  },
  elementwise: {
    shapes: [
      [3, 4],
      [3, 4],
    ],
    f: (a, b) =>
      tf.addN([
        tf.squaredDifference(a, b),
        tf.div(a, tf.add(tf.abs(b), 1)),
        tf.sqrt(tf.add(tf.square(a), 1)),
        tf.exp(tf.neg(tf.square(b))),
        tf.log1p(tf.abs(a)),
        tf.maximum(a, b),
        tf.minimum(a, b),
        tf.clipByValue(a, -0.3, 0.4),
        tf.where(tf.greater(a, b), a, b),
        tf.pow(tf.add(tf.abs(a), 1), 1.5),
        tf.rsqrt(tf.add(tf.abs(b), 1)),
      ]),
  },
  // Square and last-axis only: in tfjs 4.22 the cpu ResizeBilinearGrad swaps height and
  // width, and the Cumsum gradient is wrong off the last axis, on every backend.
  resize_bilinear_and_mirror_pad: {
    shapes: [[1, 5, 5, 2]],
    f: (x) =>
      tf.mirrorPad(
        tf.image.resizeBilinear(x as tf.Tensor4D, [7, 7]),
        [
          [0, 0],
          [1, 1],
          [2, 2],
          [0, 0],
        ],
        'reflect',
      ),
  },
  cumsum_and_segment_sum: {
    shapes: [[6, 3]],
    f: (x) =>
      tf.add(tf.cumsum(x, 1), tf.tile(tf.unsortedSegmentSum(x, tf.tensor1d([0, 1, 1, 0, 1, 0], 'int32'), 2), [3, 1])),
  },
};

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('gradients on wasm match cpu', () => {
  for (const [name, { shapes, f }] of Object.entries(cases)) {
    it(name, async () => {
      const rand = seededRandom(name.length * 7919);
      const inputs = shapes.map((shape) => randomValues(rand, shape));
      // A fixed random projection makes the scalar depend on every output element.
      const results: Record<string, Float32Array[]> = {};
      for (const backend of ['cpu', 'wasm']) {
        await tf.setBackend(backend);
        const before = tf.memory().numTensors;
        const outputs = tf.tidy(() => {
          const xs = inputs.map((v, i) => tf.tensor(v, shapes[i]));
          const value = f(...xs);
          const projection = tf.tensor(randomValues(seededRandom(7), value.size), value.shape);
          const { value: loss, grads } = tf.valueAndGrads((...ys: tf.Tensor[]) => tf.sum(tf.mul(f(...ys), projection)))(
            xs,
          );
          return [value, loss, ...grads];
        });
        results[backend] = outputs.map((t) => Float32Array.from(t.dataSync()));
        tf.dispose(outputs);
        expect(tf.memory().numTensors, `${backend} leaked tensors`).toBe(before);
      }
      results.cpu!.forEach((expected, i) => {
        expect(relativeError(results.wasm![i]!, expected), `${name} output ${i}`).toBeLessThanOrEqual(1e-4);
      });
    });
  }
});
