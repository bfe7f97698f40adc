// The README's example: build the compact preset, take one training step, save, load.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@mtl/backend';
import { createModel, loadCheckpoint, modelCost, presetConfig, saveCheckpoint } from '@mtl/models';
import * as tf from '@tensorflow/tfjs-core';

await initBackend({ backend: 'wasm' });
// Tasks and class counts come from the dataset.
const tasks = [
  { name: 'emotion', classes: 4 },
  { name: 'gender', classes: 2 },
];
const config = presetConfig('compact', { modal: 'multi', tasks });
console.log(modelCost(config).parameters.total, 'parameters');

const model = createModel(config);
const { samplesPerFrame, frameSize, channels } = model.inputSpec; // what the loader must feed
const lengths = [30, 18]; // valid frames per clip; the batch is padded to 30 frames
const audio = tf.randomNormal([2, 30 * samplesPerFrame]) as tf.Tensor2D;
const video = tf.randomUniform([2, 30, frameSize, frameSize, channels]) as tf.Tensor5D;
const labels: Record<string, tf.Tensor> = {
  emotion: tf.oneHot(tf.tensor1d([1, 3], 'int32'), 4),
  gender: tf.oneHot(tf.tensor1d([0, 1], 'int32'), 2),
};

const optimizer = tf.train.adam(1e-3);
const loss = optimizer.minimize(
  () => {
    const logits = model.forward({ audio, video, lengths }, { training: true, seed: 1 });
    return tf.addN(tasks.map(({ name }) => tf.losses.softmaxCrossEntropy(labels[name]!, logits[name]!))) as tf.Scalar;
  },
  true,
  model.trainableVariables(),
);
console.log('loss', loss!.dataSync()[0]);

const dir = join(tmpdir(), 'mtl-models-quick-start');
await saveCheckpoint(model, dir);
const restored = await loadCheckpoint(dir);
restored.forward({ audio, video, lengths }).emotion!.print(); // the same logits as model.forward
