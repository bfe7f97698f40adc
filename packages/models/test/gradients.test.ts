import { initBackend } from '@mtl/backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchNorm, Conv1D, Conv2D, ConvBatchNorm, Dense, LSTM, type Scope, VariableStore } from '../src/index.js';

/**
 * Directional check per variable: for a random direction v, <grad f, v> must match
 * a central difference (f(w + e v) - f(w - e v)) / 2e, Richardson-extrapolated over e and e/2,
 * within 0.2% (of at least 0.05), with f = sum(output * R)
 * for a fixed random R; tight enough that a 1% error in one LSTM gate's derivative fails.
 * Residual blocks are left out: a finite difference across a ReLU kink is off by O(1);
 * their parts (conv, conv + batch norm, add) are checked here.
 */
type Case = { input: number[]; build: (scope: Scope) => (x: tf.Tensor) => tf.Tensor };

const EPSILON = 1e-2;
const training = { training: true };
const cases: Record<string, Case> = {
  dense: {
    input: [4, 6],
    build: (s) => {
      const layer = new Dense(s, 6, { units: 3 });
      return (x) => layer.apply(x);
    },
  },
  conv1d_stride2: {
    input: [2, 12, 3],
    build: (s) => {
      const layer = new Conv1D(s, 3, { filters: 4, kernel: 5, stride: 2 });
      return (x) => layer.apply(x as tf.Tensor3D);
    },
  },
  conv2d_stride2: {
    input: [2, 6, 6, 2],
    build: (s) => {
      const layer = new Conv2D(s, 2, { filters: 3, kernel: 3, stride: 2 });
      return (x) => layer.apply(x as tf.Tensor4D);
    },
  },
  batch_norm_training: {
    input: [3, 4, 5],
    build: (s) => {
      const layer = new BatchNorm(s, 5);
      return (x) => layer.apply(x, training);
    },
  },
  conv_batch_norm_training: {
    input: [3, 6, 6, 4],
    build: (s) => {
      const unit = new ConvBatchNorm(s, 4, { filters: 3, kernel: 3, stride: 2, relu: false });
      return (x) => unit.apply(x as tf.Tensor4D, training);
    },
  },
  conv_batch_norm_symmetric_unbiased: {
    input: [3, 6, 6, 4],
    build: (s) => {
      const unit = new ConvBatchNorm(s, 4, {
        filters: 3,
        kernel: 3,
        stride: 2,
        relu: false,
        stridePadding: 'symmetric',
        runningVariance: 'unbiased',
      });
      return (x) => unit.apply(x as tf.Tensor4D, training);
    },
  },
  lstm_single_step: {
    input: [2, 1, 3],
    build: (s) => {
      const lstm = new LSTM(s, 3, { units: 4 });
      return (x) => lstm.apply(x as tf.Tensor3D, [1, 1]).last;
    },
  },
  lstm_stacked_masked: {
    input: [2, 4, 3],
    build: (s) => {
      const lstm = new LSTM(s, 3, { units: 4, layers: 2 });
      return (x) => lstm.apply(x as tf.Tensor3D, [4, 2]).sequence;
    },
  },
};

describe('numerical gradient checks', () => {
  let store: VariableStore;
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
    store = new VariableStore('gradientCheck', 5);
  });
  afterAll(() => store.dispose());

  for (const backend of ['cpu', 'wasm']) {
    for (const [name, { input, build }] of Object.entries(cases)) {
      it(`${name} on ${backend}`, async () => {
        await tf.setBackend(backend);
        const apply = build(store.scope(`${name}_${backend}`));
        const vars = store
          .entries()
          .filter((e) => e.trainable && e.path.startsWith(`${name}_${backend}/`))
          .map((e) => e.variable);
        expect(vars.length).toBeGreaterThan(0);
        const x = tf.randomNormal(input, 0, 1, 'float32', 21);
        const weights = tf.tidy(() => tf.randomNormal(apply(x).shape, 0, 1, 'float32', 22));
        const f = () => tf.sum(tf.mul(apply(x), weights)) as tf.Scalar;
        const grads = tf.variableGrads(f, vars).grads;
        for (const [index, variable] of vars.entries()) {
          const direction = tf.randomNormal(variable.shape, 0, 1, 'float32', 100 + index);
          const analytic = tf.tidy(() => tf.sum(tf.mul(grads[variable.name]!, direction)).dataSync()[0]!);
          const original = tf.clone(variable);
          const evaluate = (step: number) => {
            variable.assign(tf.tidy(() => tf.add(original, tf.mul(direction, step))));
            return tf.tidy(() => f().dataSync()[0]!);
          };
          const central = (h: number) => (evaluate(h) - evaluate(-h)) / (2 * h);
          // Richardson extrapolation cancels the central difference's O(h^2) term.
          const numeric = (4 * central(EPSILON / 2) - central(EPSILON)) / 3;
          variable.assign(original);
          tf.dispose([direction, original]);
          expect(Math.abs(analytic - numeric) / Math.max(0.05, Math.abs(numeric)), variable.name).toBeLessThan(2e-3);
        }
        tf.dispose([x, weights, ...Object.values(grads)]);
      });
    }
  }
});
