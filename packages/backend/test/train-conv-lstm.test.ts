import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createConvLstmNet, makeBatch } from '../examples/conv-lstm-net.js';
import { initBackend } from '../src/index.js';
import { relativeError } from './helpers.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('a conv + LSTM net on wasm', () => {
  it('has the same gradients as on cpu', async () => {
    const grads: Record<string, Record<string, Float32Array>> = {};
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const net = createConvLstmNet(7);
      const { waveform, labels } = makeBatch(5, 3);
      const { grads: g, value } = tf.variableGrads(() => net.loss(waveform, labels));
      grads[backend] = Object.fromEntries(
        Object.entries(net.variables).map(([name, v]) => [name, Float32Array.from(g[v.name]!.dataSync())]),
      );
      tf.dispose([value, waveform, labels, ...Object.values(g), ...Object.values(net.variables)]);
    }
    for (const name of Object.keys(grads.cpu!)) {
      expect(relativeError(grads.wasm![name]!, grads.cpu![name]!), name).toBeLessThanOrEqual(1e-4);
    }
  });

  it('trains: the loss falls and no tensor leaks across steps', async () => {
    await tf.setBackend('wasm');
    const net = createConvLstmNet(1);
    const optimizer = tf.train.adam(0.01);
    const losses: number[] = [];
    const tensorCounts: number[] = [];
    for (let step = 0; step < 40; step++) {
      const { waveform, labels } = makeBatch(16, step);
      const loss = optimizer.minimize(() => net.loss(waveform, labels), true) as tf.Scalar;
      losses.push(loss.dataSync()[0] as number);
      tf.dispose([loss, waveform, labels]);
      tensorCounts.push(tf.memory().numTensors);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-5))).toBeLessThan(0.6 * mean(losses.slice(0, 5)));
    // Adam creates its slots on the first step; after that the count must stay flat.
    expect(new Set(tensorCounts.slice(1)).size).toBe(1);
    optimizer.dispose();
    tf.dispose(Object.values(net.variables));
  });
});
