import { initBackend } from '@mtl/backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LSTM, type LSTMLayer, VariableStore } from '../src/index.js';
import { relativeError } from './helpers.js';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** A step-by-step LSTM in float64 over one clip, gates in the order i, f, g, o. */
function referenceLayer(layer: LSTMLayer, inputs: number[][]): number[][] {
  const wx = layer.inputKernel.dataSync();
  const wh = layer.recurrentKernel.dataSync();
  const bias = layer.bias.dataSync();
  const units = layer.units;
  const gates = 4 * units;
  let h = new Array<number>(units).fill(0);
  let c = new Array<number>(units).fill(0);
  return inputs.map((x) => {
    const z = Array.from({ length: gates }, (_, j) => {
      let sum = bias[j]!;
      x.forEach((v, d) => {
        sum += v * wx[d * gates + j]!;
      });
      h.forEach((v, k) => {
        sum += v * wh[k * gates + j]!;
      });
      return sum;
    });
    c = c.map((cPrev, u) => sigmoid(z[units + u]!) * cPrev + sigmoid(z[u]!) * Math.tanh(z[2 * units + u]!));
    h = c.map((cNow, u) => sigmoid(z[3 * units + u]!) * Math.tanh(cNow));
    return h;
  });
}

describe('LSTM', () => {
  const store = new VariableStore('lstmTest', 3);
  let lstm: LSTM;

  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
    lstm = new LSTM(store.scope('lstm'), 6, { units: 5, layers: 2 });
  });
  afterAll(() => store.dispose());

  it('matches a step-by-step reference per clip, stacked, with zero output past each length', () => {
    const lengths = [5, 3, 1];
    const steps = 5;
    const x = tf.randomNormal([3, steps, 6], 0, 1, 'float32', 11) as tf.Tensor3D;
    const values = x.arraySync();
    const { sequence, last } = lstm.apply(x, lengths);
    const sequenceValues = sequence.arraySync();
    const lastValues = last.arraySync();
    lengths.forEach((length, clip) => {
      let layerInputs = values[clip]!.slice(0, length);
      for (const layer of lstm.layers) layerInputs = referenceLayer(layer, layerInputs);
      expect(relativeError(sequenceValues[clip]!.slice(0, length).flat(), layerInputs.flat())).toBeLessThan(1e-5);
      expect(relativeError(lastValues[clip]!, layerInputs[length - 1]!)).toBeLessThan(1e-5);
      expect(
        sequenceValues[clip]!.slice(length)
          .flat()
          .every((v) => v === 0),
      ).toBe(true);
    });
    tf.dispose([x, sequence, last]);
  });

  it('gives a clip the same output alone as padded (with noise) inside a longer batch', () => {
    const clip = tf.randomNormal([1, 3, 6], 0, 1, 'float32', 12);
    const alone = lstm.apply(clip as tf.Tensor3D, [3]);
    const padded = tf.concat(
      [
        tf.concat([clip, tf.randomNormal([1, 4, 6], 0, 5, 'float32', 13)], 1),
        tf.randomNormal([1, 7, 6], 0, 1, 'float32', 14),
      ],
      0,
    );
    const inBatch = lstm.apply(padded as tf.Tensor3D, tf.tensor1d([3, 7], 'int32'));
    const lastInBatch = tf.slice(inBatch.last, [0, 0], [1, 5]);
    expect(relativeError(lastInBatch.dataSync(), alone.last.dataSync())).toBeLessThan(1e-6);
    tf.dispose([clip, alone.sequence, alone.last, padded, inBatch.sequence, inBatch.last, lastInBatch]);
  });

  it('projects all steps in one matmul per layer and skips steps past the longest clip', async () => {
    const x = tf.randomNormal([2, 6, 6], 0, 1, 'float32', 15) as tf.Tensor3D;
    const profile = await tf.profile(() => {
      const { sequence, last } = lstm.apply(x, [3, 2]);
      expect(sequence.shape).toEqual([2, 6, 5]);
      return [sequence, last];
    });
    const count = (name: string) => profile.kernels.filter((kernel) => kernel.name === name).length;
    expect(count('_FusedMatMul')).toBe(2); // input projection: one per layer
    // The recurrence: one fused kernel per layer, over the 3 steps of the longest clip.
    const recurrences = profile.kernels.filter((kernel) => kernel.name === 'MtlLstmRecurrence');
    expect(recurrences.map((kernel) => kernel.inputShapes[0])).toEqual([
      [2, 3, 20],
      [2, 3, 20],
    ]);
    expect(count('BatchMatMul')).toBe(0);
    tf.dispose(x);
  });

  it('gives the same outputs and gradients op by op, where a backend lacks the fused kernel', async () => {
    await tf.setBackend('cpu');
    const x = tf.randomNormal([3, 5, 6], 0, 1, 'float32', 17) as tf.Tensor3D;
    const weights = tf.randomNormal([3, 5, 5], 0, 1, 'float32', 18);
    const vars = lstm.layers.flatMap((layer) => [layer.inputKernel, layer.recurrentKernel, layer.bias]);
    const run = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.sum(tf.mul(lstm.apply(x, [5, 2, 4]).sequence, weights)) as tf.Scalar,
          vars,
        );
        return [value, ...vars.map((v) => grads[v.name]!)].map((t) => t.dataSync());
      });
    const fused = run();
    const kernel = tf.getKernel('MtlLstmRecurrence', 'cpu')!;
    tf.unregisterKernel('MtlLstmRecurrence', 'cpu');
    try {
      const opByOp = run();
      fused.forEach((values, i) => {
        expect(relativeError(values, opByOp[i]!), `output ${i}`).toBeLessThan(1e-5);
      });
    } finally {
      tf.registerKernel(kernel);
      await tf.setBackend('wasm');
    }
    tf.dispose([x, weights]);
  });

  it('rejects inputs and lengths that do not fit', () => {
    const x = tf.zeros([2, 4, 6]) as tf.Tensor3D;
    expect(() => lstm.apply(x, [4])).toThrow(/lengths has 1 entries for a batch of 2 clips/);
    expect(() => lstm.apply(x, [4, 5])).toThrow(/lengths\[1\] = 5; each length must be an integer in \[1, 4\]/);
    expect(() => lstm.apply(x, [0, 2])).toThrow(/lengths\[0\] = 0/);
    expect(() => lstm.apply(tf.zeros([2, 4, 7]) as tf.Tensor3D, [4, 4])).toThrow(/expected 6 input units, got 7/);
    x.dispose();
  });

  it('leaks no tensors across forward passes and gradient steps', () => {
    const x = tf.randomNormal([2, 4, 6], 0, 1, 'float32', 16) as tf.Tensor3D;
    const vars = lstm.layers.flatMap((layer) => [layer.inputKernel, layer.recurrentKernel, layer.bias]);
    const step = () =>
      tf.tidy(() => {
        const { grads, value } = tf.variableGrads(() => tf.sum(lstm.apply(x, [4, 2]).last) as tf.Scalar, vars);
        return [value, ...Object.values(grads)].map((t) => t.dataSync()[0]);
      });
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
