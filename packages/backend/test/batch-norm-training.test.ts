import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchNormTraining, initBackend } from '../src/index.js';
import { onBackends, randomInt, randomValues, relativeError, seededRandom } from './helpers.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

/** y, mean, variance and the gradients of a loss that uses all three, for x, gamma and beta. */
function outputsAndGradients(x: Float32Array, shape: number[], gamma: Float32Array, beta: Float32Array, seed: number) {
  return () => {
    const channels = shape.at(-1)!;
    const weights = tf.randomNormal(shape, 0, 1, 'float32', seed);
    const [a, b] = [
      tf.randomNormal([channels], 0, 1, 'float32', seed + 1),
      tf.randomNormal([channels], 0, 1, 'float32', seed + 2),
    ];
    const loss = (xv: tf.Tensor, g: tf.Tensor, bv: tf.Tensor) => {
      const { y, mean, variance } = batchNormTraining(xv, g, bv, 1e-3);
      return tf.addN([tf.sum(tf.mul(y, weights)), tf.sum(tf.mul(mean, a)), tf.sum(tf.mul(variance, b))]) as tf.Scalar;
    };
    const inputs = [tf.tensor(x, shape), tf.tensor1d(gamma), tf.tensor1d(beta)];
    const { y, mean, variance } = batchNormTraining(inputs[0]!, inputs[1]!, inputs[2]!, 1e-3);
    const { value, grads } = tf.valueAndGrads(loss as (...xs: tf.Tensor[]) => tf.Scalar)(inputs);
    return [y, mean, variance, value, ...grads];
  };
}

describe('batchNormTraining', () => {
  it('matches the op-by-op batch norm (its fallback), values and gradients, on wasm and cpu', async () => {
    const rand = seededRandom(21);
    for (let n = 0; n < 8; n++) {
      const shape = [randomInt(rand, 1, 4), randomInt(rand, 1, 5), randomInt(rand, 1, 6)].slice(
        0,
        randomInt(rand, 2, 3),
      );
      const channels = shape.at(-1)!;
      const x = randomValues(rand, shape).map((v) => 3 * v + 1);
      const gamma = randomValues(rand, channels);
      const beta = randomValues(rand, channels);
      const run = outputsAndGradients(x, shape, gamma, beta, 30 + n);
      const fused = await onBackends(['cpu', 'wasm'], run);
      const kernel = tf.getKernel('MtlBatchNormTraining', 'cpu')!;
      tf.unregisterKernel('MtlBatchNormTraining', 'cpu');
      let opByOp: Awaited<ReturnType<typeof onBackends>>;
      try {
        opByOp = await onBackends(['cpu'], run);
      } finally {
        tf.registerKernel(kernel);
      }
      for (const backend of ['cpu', 'wasm']) {
        fused[backend]!.forEach((actual, i) => {
          expect(actual.shape).toEqual(opByOp.cpu![i]!.shape);
          expect(relativeError(actual.values, opByOp.cpu![i]!.values), `${backend} ${i} ${shape}`).toBeLessThan(1e-4);
        });
      }
    }
  });

  it('leaks no tensors', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([4, 3, 5]);
    const [gamma, beta] = [tf.ones([5]), tf.zeros([5])];
    const before = tf.memory().numTensors;
    const { value, grads } = tf.valueAndGrads(
      (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(batchNormTraining(a, b, c, 1e-5).y) as tf.Scalar,
    )([x, gamma, beta]);
    tf.dispose([value, ...grads]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, gamma, beta]);
  });
});
