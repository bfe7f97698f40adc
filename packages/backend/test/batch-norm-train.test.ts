import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchNormTrain, hasBatchNormTrain, initBackend } from '../src/index.js';
import { onBackends, randomInt, randomValues, relativeError, seededRandom } from './helpers.js';

const EPSILON = 1e-3;

/** The same normalisation op by op (moments, subtract, scale, shift, ReLU), differentiated by tfjs: the reference. */
function reference(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, relu: boolean) {
  const { mean, variance } = tf.moments(x, x.shape.map((_, i) => i).slice(0, -1));
  const y = tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, EPSILON))), gamma), beta);
  return { y: relu ? tf.relu(y) : y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('batchNormTrain', () => {
  it('is available on wasm and cpu', async () => {
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      expect(hasBatchNormTrain(), backend).toBe(true);
    }
  });

  it('matches the op-by-op normalisation, outputs, statistics and gradients, on wasm and cpu', async () => {
    const rand = seededRandom(5);
    for (let n = 0; n < 8; n++) {
      const relu = n % 2 === 0;
      // Rank 2 to 4 with channels last; some channels offset far from zero (a variance
      // computed as E[x²] - E[x]² would lose it).
      const shape = [randomInt(rand, 1, 3), randomInt(rand, 1, 5), randomInt(rand, 1, 4), randomInt(rand, 1, 6)].slice(
        n % 3,
      );
      const channels = shape[shape.length - 1]!;
      const xv = randomValues(rand, shape).map((v, i) => v + (i % channels === 0 ? 100 : 0));
      const g = randomValues(rand, channels);
      const b = randomValues(rand, channels);
      const w = randomValues(rand, shape);
      const run = (f: typeof reference) => () => {
        const x = tf.tensor(xv, shape);
        const gamma = tf.tensor1d(g);
        const beta = tf.tensor1d(b);
        const weights = tf.tensor(w, shape);
        const loss = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
          tf.sum(tf.mul(f(a, c as tf.Tensor1D, d as tf.Tensor1D, relu).y, weights));
        const { value, grads } = tf.valueAndGrads(loss)([x, gamma, beta]);
        const out = f(x, gamma, beta, relu);
        return [out.y, out.mean, out.variance, value, ...grads];
      };
      const fused = await onBackends(
        ['cpu', 'wasm'],
        run((x, gamma, beta, relu) => batchNormTrain(x, gamma, beta, { epsilon: EPSILON, relu })),
      );
      const expected = await onBackends(['cpu'], run(reference));
      const label = JSON.stringify({ shape, relu });
      for (const backend of ['cpu', 'wasm']) {
        fused[backend]!.forEach((actual, i) => {
          expect(actual.shape, `${backend} output ${i} ${label}`).toEqual(expected.cpu![i]!.shape);
          expect(
            relativeError(actual.values, expected.cpu![i]!.values),
            `${backend} output ${i} ${label}`,
          ).toBeLessThan(2e-4);
        });
      }
    }
  });

  it('matches a central-difference gradient in float64 terms', async () => {
    await tf.setBackend('cpu');
    const rand = seededRandom(9);
    const shape = [3, 2, 4];
    const xv = randomValues(rand, shape);
    const gamma = tf.tensor1d(randomValues(rand, 4));
    const beta = tf.tensor1d(randomValues(rand, 4));
    const weights = tf.tensor(randomValues(rand, shape), shape);
    const loss = (x: tf.Tensor) =>
      tf.sum(tf.mul(batchNormTrain(x, gamma, beta, { epsilon: EPSILON, relu: true }).y, weights)) as tf.Scalar;
    const analytic = tf.grad(loss)(tf.tensor(xv, shape)).dataSync();
    const h = 1e-2;
    for (const i of [0, 5, 11, 17, 23]) {
      const plus = Float32Array.from(xv);
      const minus = Float32Array.from(xv);
      plus[i]! += h;
      minus[i]! -= h;
      const numeric =
        (loss(tf.tensor(plus, shape)).dataSync()[0]! - loss(tf.tensor(minus, shape)).dataSync()[0]!) / (2 * h);
      expect(analytic[i]!, `element ${i}`).toBeCloseTo(numeric, 2);
    }
    tf.dispose([gamma, beta, weights]);
  });

  it('leaks no tensors, forward or backward', async () => {
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      const x = tf.randomNormal([4, 3, 5]);
      const gamma = tf.ones([5]) as tf.Tensor1D;
      const beta = tf.zeros([5]) as tf.Tensor1D;
      const before = tf.memory().numTensors;
      const out = batchNormTrain(x, gamma, beta, { epsilon: EPSILON, relu: true });
      tf.dispose([out.y, out.mean, out.variance]);
      const { value, grads } = tf.valueAndGrads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
        tf.sum(batchNormTrain(a, c as tf.Tensor1D, d as tf.Tensor1D, { epsilon: EPSILON, relu: false }).y),
      )([x, gamma, beta]);
      tf.dispose([value, ...grads]);
      expect(tf.memory().numTensors, backend).toBe(before);
      tf.dispose([x, gamma, beta]);
    }
  });
});
