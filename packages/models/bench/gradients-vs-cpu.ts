// `pnpm bench:gradients [preset] [seconds] [--frames-per-chunk N] [--modal multi|audio|video]`:
// a preset's training gradients on wasm against the cpu backend (the reference), batch 1,
// a short clip (default paper, 0.08 s: 2 frames of 96x96 and 1,280 samples, which the cpu
// backend needs about half an hour for), the ResNet taking N frames at a time (default
// all) on both. Same config
// and seed give the same weights on both; the same inputs and dropout seed go in. Prints
// the loss on each backend and the worst relative gradient errors (max |wasm - cpu| /
// max |cpu| per variable); exits 1 if any exceeds 1e-3.
import { parseArgs } from 'node:util';
import { initBackend } from '@mtl/backend';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, type Modal, type PresetName, presetConfig } from '../src/index.js';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'frames-per-chunk': { type: 'string' }, modal: { type: 'string', default: 'multi' } },
});
const preset = (positionals[0] ?? 'paper') as PresetName;
const seconds = Number(positionals[1] ?? 0.08);
const modal = flags.modal as Modal;
const TOLERANCE = 1e-3;
const tasks = [
  { name: 'emotion', classes: 4 },
  { name: 'gender', classes: 2 },
];
const framesPerChunk = flags['frames-per-chunk'] === undefined ? undefined : Number(flags['frames-per-chunk']);
const presetOfName = presetConfig(preset, { modal, tasks });
const config =
  framesPerChunk === undefined || presetOfName.video.encoder !== 'cnn'
    ? presetOfName
    : { ...presetOfName, video: { ...presetOfName.video, framesPerChunk } };

await initBackend({ backend: 'wasm' });
await tf.setBackend('cpu');
const probe = createModel(config, { name: 'probe' });
const spec = probe.inputSpec;
probe.dispose();
const frames = Math.max(1, Math.round(seconds * spec.fps));
const audio = tf.randomNormal([1, frames * spec.samplesPerFrame], 0, 0.3, 'float32', 1).dataSync();
const video = tf
  .randomUniform([1, frames, spec.frameSize, spec.frameSize, spec.channels], 0, 1, 'float32', 2)
  .dataSync();

async function gradients(backend: 'wasm' | 'cpu') {
  await tf.setBackend(backend);
  const model = createModel(config, { name: `${preset}_${backend}` });
  const inputs = {
    audio: tf.tensor2d(audio, [1, frames * spec.samplesPerFrame]),
    video: tf.tensor5d(video, [1, frames, spec.frameSize, spec.frameSize, spec.channels]),
    lengths: [frames],
  };
  const labels = [tf.oneHot(tf.tensor1d([1], 'int32'), 4), tf.oneHot(tf.tensor1d([0], 'int32'), 2)];
  const start = performance.now();
  const { value, grads } = tf.variableGrads(() => {
    const logits = model.forward(inputs, { training: true, seed: 7 });
    return tf.addN(tasks.map((task, t) => tf.losses.softmaxCrossEntropy(labels[t]!, logits[task.name]!))) as tf.Scalar;
  }, model.trainableVariables());
  const byPath = new Map(
    model.allVariables().map(({ path, variable }) => [path, grads[variable.name]?.dataSync() as Float32Array]),
  );
  const result = { loss: value.dataSync()[0]!, ms: Math.round(performance.now() - start), byPath };
  tf.dispose([value, ...Object.values(grads), inputs.audio, inputs.video, ...labels]);
  model.dispose();
  return result;
}

const wasm = await gradients('wasm');
const cpu = await gradients('cpu');
const errors: { path: string; error: number }[] = [];
for (const [path, expected] of cpu.byPath) {
  const actual = wasm.byPath.get(path);
  if (expected === undefined || actual === undefined) continue;
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  errors.push({ path, error: diff / scale });
}
errors.sort((a, b) => b.error - a.error);
const worst = errors[0]?.error ?? Number.POSITIVE_INFINITY;
console.log(
  JSON.stringify({
    preset,
    modal,
    framesPerChunk: framesPerChunk ?? 'all',
    frames,
    samples: frames * spec.samplesPerFrame,
    loss: { wasm: wasm.loss, cpu: cpu.loss },
    gradientMs: { wasm: wasm.ms, cpu: cpu.ms },
    variablesCompared: errors.length,
    worstRelativeErrors: errors.slice(0, 5).map((e) => ({ path: e.path, error: Number(e.error.toExponential(2)) })),
    pass: worst <= TOLERANCE,
  }),
);
if (!(worst <= TOLERANCE)) process.exitCode = 1;
