// Does the compact preset learn, and how fast? A toy two-task problem where gender is only
// in the audio (voice pitch 120 vs 220 Hz) and emotion only in the video (the orientation
// of stripes in a noisy patch that wanders over the frame), so both branches and both
// heads must work. Not the synthetic
// corpus of @mtl/datasets: a check of the model alone. `pnpm bench:learn [steps]`.
import { initBackend } from '@mtl/backend';
import { SeededRandom } from '@mtl/common';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, type MultitaskModel, presetConfig } from '../src/index.js';

const steps = Number(process.argv[2] ?? 150);
await initBackend({ backend: 'wasm' });
const tasks = [
  { name: 'emotion', classes: 4 },
  { name: 'gender', classes: 2 },
];
const model = createModel(presetConfig('compact', { modal: 'multi', tasks }));
const { samplesPerFrame, sampleRate, frameSize, channels } = model.inputSpec;
const maxFrames = 30;

function makeBatch(size: number, seed: number) {
  const random = new SeededRandom(seed);
  const audio = new Float32Array(size * maxFrames * samplesPerFrame);
  const video = new Float32Array(size * maxFrames * frameSize * frameSize * channels);
  const lengths: number[] = [];
  const emotion: number[] = [];
  const gender: number[] = [];
  for (let clip = 0; clip < size; clip++) {
    const length = 15 + Math.floor(random.uniform() * (maxFrames - 14));
    const e = Math.floor(random.uniform() * 4);
    const g = random.uniform() < 0.5 ? 0 : 1;
    lengths.push(length);
    emotion.push(e);
    gender.push(g);
    const pitch = (g === 0 ? 220 : 120) * (0.95 + 0.1 * random.uniform());
    const phase = random.uniform() * 2 * Math.PI;
    for (let s = 0; s < length * samplesPerFrame; s++) {
      const t = s / sampleRate;
      const voice = Math.sin(2 * Math.PI * pitch * t + phase) + 0.5 * Math.sin(4 * Math.PI * pitch * t + phase);
      audio[clip * maxFrames * samplesPerFrame + s] = 0.5 * voice + 0.3 * random.normal();
    }
    // Stripe direction per class: horizontal, vertical, diagonal, anti-diagonal.
    const [dy, dx] = (
      [
        [1, 0],
        [0, 1],
        [1, 1],
        [1, -1],
      ] as const
    )[e]!;
    const patch = frameSize / 2;
    for (let f = 0; f < length; f++) {
      const base = (clip * maxFrames + f) * frameSize * frameSize * channels;
      const top = Math.floor(random.uniform() * (frameSize - patch));
      const left = Math.floor(random.uniform() * (frameSize - patch));
      for (let y = 0; y < frameSize; y++) {
        for (let x = 0; x < frameSize; x++) {
          const inPatch = y >= top && y < top + patch && x >= left && x < left + patch;
          const stripe = Math.floor((dy * y + dx * x) / 2) % 2 === 0 ? 0.9 : 0.1;
          for (let c = 0; c < channels; c++) {
            video[base + (y * frameSize + x) * channels + c] = (inPatch ? stripe : 0.5) + 0.15 * random.normal();
          }
        }
      }
    }
  }
  return {
    inputs: {
      audio: tf.tensor2d(audio, [size, maxFrames * samplesPerFrame]),
      video: tf.tensor5d(video, [size, maxFrames, frameSize, frameSize, channels]),
      lengths,
    },
    labels: {
      emotion: tf.oneHot(tf.tensor1d(emotion, 'int32'), 4),
      gender: tf.oneHot(tf.tensor1d(gender, 'int32'), 2),
    },
  };
}

type Batch = ReturnType<typeof makeBatch>;
const dispose = (batch: Batch) =>
  tf.dispose([batch.inputs.audio, batch.inputs.video, batch.labels.emotion, batch.labels.gender]);

function accuracy(net: MultitaskModel, batch: Batch): Record<string, number> {
  return tf.tidy(() => {
    const logits = net.forward(batch.inputs);
    return Object.fromEntries(
      tasks.map(({ name }) => {
        const labels = batch.labels[name as 'emotion' | 'gender'];
        const hits = tf.mean(tf.cast(tf.equal(tf.argMax(logits[name]!, 1), tf.argMax(labels, 1)), 'float32'));
        return [name, +hits.dataSync()[0]!.toFixed(3)];
      }),
    );
  });
}

const heldOut = makeBatch(64, 999);
const optimizer = tf.train.adam(3e-3);
const start = performance.now();
for (let step = 1; step <= steps; step++) {
  const batch = makeBatch(8, step);
  optimizer.minimize(
    () => {
      const logits = model.forward(batch.inputs, { training: true, seed: step });
      return tf.add(
        tf.losses.softmaxCrossEntropy(batch.labels.emotion, logits.emotion!),
        tf.losses.softmaxCrossEntropy(batch.labels.gender, logits.gender!),
      ) as tf.Scalar;
    },
    false,
    model.trainableVariables(),
  );
  dispose(batch);
  if (step % 25 === 0 || step === steps) {
    const seconds = ((performance.now() - start) / 1000).toFixed(1);
    console.log(JSON.stringify({ step, seconds, heldOutAccuracy: accuracy(model, heldOut) }));
  }
}
