import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fusedAdam, initBackend } from '../src/index.js';
import { relativeError } from './helpers.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

/** Five steps of an optimiser on a small least-squares problem; returns the weights and optimiser state. */
async function train(optimizer: tf.Optimizer, prefix: string) {
  const w = tf.variable(tf.randomNormal([4, 3], 0, 1, 'float32', 1), true, `${prefix}/w`);
  const b = tf.variable(tf.zeros([3]), true, `${prefix}/b`);
  const frozen = tf.variable(tf.ones([2]), true, `${prefix}/unused`);
  const x = tf.randomNormal([8, 4], 0, 1, 'float32', 2);
  const y = tf.randomNormal([8, 3], 0, 1, 'float32', 3);
  for (let step = 0; step < 5; step++) {
    optimizer
      .minimize(() => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, w), b), y))) as tf.Scalar, true, [w, b])
      ?.dispose();
  }
  const weights = [w, b].map((v) => Array.from(v.dataSync()));
  const state = await optimizer.getWeights();
  const result = {
    weights,
    stateNames: state.map((s) => s.name.replace(prefix, '')),
    state: state.map((s) => Array.from(s.tensor.dataSync())),
  };
  tf.dispose([w, b, frozen, x, y]);
  return result;
}

describe('fusedAdam', () => {
  for (const backend of ['wasm', 'cpu']) {
    it(`takes tf.train.adam's steps and keeps its state on ${backend}`, async () => {
      await tf.setBackend(backend);
      const reference = tf.train.adam(0.05, 0.8, 0.99, 1e-6);
      const fused = fusedAdam(0.05, 0.8, 0.99, 1e-6);
      const start = tf.memory().numTensors;
      const expected = await train(reference, `adam_${backend}`);
      const kept = tf.memory().numTensors - start;
      const actual = await train(fused, `fused_${backend}`);
      actual.weights.forEach((values, i) => {
        expect(relativeError(values, expected.weights[i]!), `weight ${i}`).toBeLessThan(1e-5);
      });
      expect(actual.stateNames).toEqual(expected.stateNames);
      actual.state.forEach((values, i) => {
        expect(relativeError(values, expected.state[i]!), actual.stateNames[i]).toBeLessThan(1e-5);
      });
      // It keeps what tf.train.adam keeps (moments, and getWeights' iteration count), nothing per step.
      expect(tf.memory().numTensors - start - kept).toBe(kept);
      reference.dispose();
      fused.dispose();
    });
  }

  it('is tf.train.adam where the backend lacks its kernel', async () => {
    await tf.setBackend('cpu');
    const kernel = tf.getKernel('MtlAdamUpdate', 'cpu')!;
    tf.unregisterKernel('MtlAdamUpdate', 'cpu');
    try {
      const expected = await train(tf.train.adam(0.05), 'adam_fallback');
      const actual = await train(fusedAdam(0.05), 'fused_fallback');
      actual.weights.forEach((values, i) => {
        expect(values).toEqual(expected.weights[i]);
      });
    } finally {
      tf.registerKernel(kernel);
    }
  });
});
