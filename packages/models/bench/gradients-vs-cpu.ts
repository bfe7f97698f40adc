// `pnpm bench:gradients [preset] [seconds] [--frames-per-chunk N] [--modal multi|audio|video]`:
// a preset's gradients on wasm against the cpu backend (the reference), batch 1, a short
// clip (default paper, 0.08 s: 2 frames of 96x96 and 1,280 samples, which the cpu backend
// needs 10-30 minutes for), the ResNet taking N frames at a time (default all) on both.
//
// Two passes per backend: inference mode (batch norm on its moving averages) and training
// mode (batch statistics, dropout). Training-mode gradients of a deep net over a batch of
// 2 frames are ill-conditioned: batch norm over 18-72 values per channel amplifies
// float32 round-off, so wasm's own gradients move by up to ~0.3 (relative) when the
// input moves by 1e-7. So the training pass is judged against that sensitivity, measured
// here: wasm again on the input times (1 + 1e-7 noise). Prints the loss and the worst
// relative gradient errors (max |wasm - cpu| / max |cpu| per variable) of each pass.
// Passes if inference mode is within 1e-3 everywhere and training mode's worst error is
// at most twice the worst from the perturbed input; exits 1 otherwise.
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
const INFERENCE_TOLERANCE = 1e-3;
const PERTURBATION = 1e-7;
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
const audio = tf.randomNormal([1, frames * spec.samplesPerFrame], 0, 0.3, 'float32', 1).dataSync() as Float32Array;
const video = tf
  .randomUniform([1, frames, spec.frameSize, spec.frameSize, spec.channels], 0, 1, 'float32', 2)
  .dataSync() as Float32Array;
const perturb = (values: Float32Array, seed: number) => {
  const noise = tf.randomNormal([values.length], 0, 1, 'float32', seed).dataSync();
  return values.map((v, i) => v * (1 + PERTURBATION * noise[i]!));
};

type Gradients = { loss: number; ms: number; byPath: Map<string, Float32Array> };

async function gradients(backend: 'wasm' | 'cpu', training: boolean, input = { audio, video }): Promise<Gradients> {
  await tf.setBackend(backend);
  const model = createModel(config, { name: `${preset}_${backend}` });
  const inputs = {
    audio: tf.tensor2d(input.audio, [1, frames * spec.samplesPerFrame]),
    video: tf.tensor5d(input.video, [1, frames, spec.frameSize, spec.frameSize, spec.channels]),
    lengths: [frames],
  };
  const labels = [tf.oneHot(tf.tensor1d([1], 'int32'), 4), tf.oneHot(tf.tensor1d([0], 'int32'), 2)];
  const start = performance.now();
  const { value, grads } = tf.variableGrads(() => {
    const logits = model.forward(inputs, { training, seed: 7 });
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

/** Per variable max |actual - expected| / max |expected|, worst first. */
function errors(actual: Gradients, expected: Gradients) {
  const list: { path: string; error: number }[] = [];
  for (const [path, e] of expected.byPath) {
    const a = actual.byPath.get(path);
    if (e === undefined || a === undefined) continue;
    let diff = 0;
    let scale = 1e-12;
    for (let i = 0; i < e.length; i++) {
      diff = Math.max(diff, Math.abs(a[i]! - e[i]!));
      scale = Math.max(scale, Math.abs(e[i]!));
    }
    list.push({ path, error: diff / scale });
  }
  return list.sort((a, b) => b.error - a.error);
}
const worst = (list: { error: number }[]) => list[0]?.error ?? Number.POSITIVE_INFINITY;
const top = (list: { path: string; error: number }[]) =>
  list.slice(0, 3).map((e) => ({ path: e.path, error: Number(e.error.toExponential(2)) }));

const wasmInference = await gradients('wasm', false);
const wasmTraining = await gradients('wasm', true);
const wasmPerturbed = await gradients('wasm', true, { audio: perturb(audio, 11), video: perturb(video, 12) });
const cpuInference = await gradients('cpu', false);
const cpuTraining = await gradients('cpu', true);
const inference = errors(wasmInference, cpuInference);
const training = errors(wasmTraining, cpuTraining);
const sensitivity = errors(wasmPerturbed, wasmTraining);
const pass = worst(inference) <= INFERENCE_TOLERANCE && worst(training) <= 2 * worst(sensitivity);
console.log(
  JSON.stringify({
    preset,
    modal,
    framesPerChunk: framesPerChunk ?? 'all',
    frames,
    samples: frames * spec.samplesPerFrame,
    variablesCompared: inference.length,
    inference: {
      loss: { wasm: wasmInference.loss, cpu: cpuInference.loss },
      worstRelativeErrors: top(inference),
    },
    training: {
      loss: { wasm: wasmTraining.loss, cpu: cpuTraining.loss },
      worstRelativeErrors: top(training),
      wasmOnInputTimes1PlusE7Noise: top(sensitivity),
    },
    gradientMs: { wasm: wasmTraining.ms, cpu: cpuTraining.ms },
    pass,
  }),
);
if (!pass) process.exitCode = 1;
