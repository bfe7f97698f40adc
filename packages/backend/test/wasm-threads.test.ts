import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createConvLstmNet, makeBatch } from '../examples/conv-lstm-net.js';
import { initBackend } from '../src/index.js';
import { relativeError } from './helpers.js';

// Vitest runs each test file in its own process, so this one starts wasm with 2 threads.
describe('the threaded wasm build in Node', () => {
  it('starts with 2 threads and computes what cpu computes', async () => {
    const choice = await initBackend({ backend: 'wasm', threads: 2 });
    expect(choice).toMatchObject({ name: 'wasm', threads: 2 });

    const grads: Record<string, Float32Array[]> = {};
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const net = createConvLstmNet(3);
      const { waveform, labels } = makeBatch(8, 5);
      const { grads: g, value } = tf.variableGrads(() => net.loss(waveform, labels));
      grads[backend] = Object.values(net.variables).map((v) => Float32Array.from(g[v.name]!.dataSync()));
      const a = tf.randomNormal([256, 300], 0, 1, 'float32', 1);
      const b = tf.randomNormal([300, 200], 0, 1, 'float32', 2);
      const product = tf.matMul(a, b);
      grads[backend].push(Float32Array.from(product.dataSync()));
      tf.dispose([value, waveform, labels, a, b, product, ...Object.values(g), ...Object.values(net.variables)]);
    }
    grads.cpu!.forEach((expected, i) => {
      expect(relativeError(grads.wasm![i]!, expected), `output ${i}`).toBeLessThanOrEqual(1e-4);
    });
  });

  it('refuses to change the thread count once wasm runs', async () => {
    await expect(initBackend({ backend: 'wasm', threads: 1 })).rejects.toThrow(/already runs with 2 thread/);
    await expect(initBackend({ backend: 'wasm', threads: 0 })).rejects.toThrow(/already runs|positive integer/);
  });
});
