import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasLstmRecurrence, initBackend, lstmRecurrence } from '../src/index.js';
import { onBackends, randomInt, randomValues, relativeError, seededRandom } from './helpers.js';

/** The same recurrence op by op, differentiated by tfjs's own gradients: the reference. */
function reference(projected: tf.Tensor3D, kernel: tf.Tensor2D): tf.Tensor3D {
  const [batch, steps, gates] = projected.shape;
  const units = gates / 4;
  let h: tf.Tensor2D = tf.zeros([batch, units]);
  let c: tf.Tensor2D = tf.zeros([batch, units]);
  const outputs: tf.Tensor2D[] = [];
  for (let t = 0; t < steps; t++) {
    const z = tf.add(
      tf.reshape(tf.slice(projected, [0, t, 0], [batch, 1, gates]), [batch, gates]),
      tf.matMul(h, kernel),
    );
    const [zi, zf, zg, zo] = tf.split(z, 4, 1);
    c = tf.add(tf.mul(tf.sigmoid(zf!), c), tf.mul(tf.sigmoid(zi!), tf.tanh(zg!)));
    h = tf.mul(tf.sigmoid(zo!), tf.tanh(c));
    outputs.push(h);
  }
  return tf.stack(outputs, 1) as tf.Tensor3D;
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('lstmRecurrence', () => {
  it('is available on wasm and cpu', async () => {
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      expect(hasLstmRecurrence(), backend).toBe(true);
    }
  });

  it('matches the op-by-op recurrence, outputs and gradients, on wasm and cpu', async () => {
    const rand = seededRandom(11);
    for (let n = 0; n < 6; n++) {
      const [batch, steps, units] = [randomInt(rand, 1, 4), randomInt(rand, 1, 7), randomInt(rand, 1, 9)];
      const p = randomValues(rand, [batch, steps, 4 * units]);
      const w = randomValues(rand, [units, 4 * units]);
      const r = randomValues(rand, [batch, steps, units]);
      const run = (f: typeof reference) => () => {
        const projected = tf.tensor3d(p, [batch, steps, 4 * units]);
        const kernel = tf.tensor2d(w, [units, 4 * units]);
        const weights = tf.tensor3d(r, [batch, steps, units]);
        const loss = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a as tf.Tensor3D, b as tf.Tensor2D), weights));
        const { value, grads } = tf.valueAndGrads(loss)([projected, kernel]);
        return [f(projected, kernel), value, ...grads];
      };
      const fused = await onBackends(['cpu', 'wasm'], run(lstmRecurrence));
      const expected = await onBackends(['cpu'], run(reference));
      const label = JSON.stringify({ batch, steps, units });
      for (const backend of ['cpu', 'wasm']) {
        fused[backend]!.forEach((actual, i) => {
          expect(actual.shape, label).toEqual(expected.cpu![i]!.shape);
          expect(
            relativeError(actual.values, expected.cpu![i]!.values),
            `${backend} output ${i} ${label}`,
          ).toBeLessThan(1e-5);
        });
      }
    }
  });

  it('leaks no tensors, forward or backward', async () => {
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      const projected = tf.randomNormal([2, 5, 12]) as tf.Tensor3D;
      const kernel = tf.randomNormal([3, 12]) as tf.Tensor2D;
      const before = tf.memory().numTensors;
      tf.dispose(lstmRecurrence(projected, kernel));
      const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(lstmRecurrence(a as tf.Tensor3D, b as tf.Tensor2D)),
      )([projected, kernel]);
      tf.dispose([value, ...grads]);
      expect(tf.memory().numTensors, backend).toBe(before);
      tf.dispose([projected, kernel]);
    }
  });
});
