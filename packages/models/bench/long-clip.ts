// `pnpm bench:long [seconds] [framesPerChunk] [--threads N]`: one training step's forward +
// backward of the paper preset (audio + video, ResNet-50 on 96x96 frames) at batch 1 on
// a clip of `seconds` (default 6, the paper's longest) on wasm, with the video net taking
// `framesPerChunk` frames at a time (default 10; 0 = every frame at once). Prints the wall
// time, the wasm heap's peak (it only grows) and the process's peak RSS, the loss, whether
// every gradient is finite, and tensors leaked.
import { parseArgs } from 'node:util';
import { initBackend } from '@mtl/backend';
import * as tf from '@tensorflow/tfjs-core';
import { type CnnVideoConfig, createModel, presetConfig } from '../src/index.js';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { threads: { type: 'string', default: '1' } },
});
const seconds = Number(positionals[0] ?? 6);
const framesPerChunk = Number(positionals[1] ?? 10);
const tasks = [
  { name: 'emotion', classes: 4 },
  { name: 'gender', classes: 2 },
];
await initBackend({ backend: 'wasm', threads: Number(flags.threads) });
const paper = presetConfig('paper', { modal: 'multi', tasks });
const video = paper.video as CnnVideoConfig;
const config = { ...paper, video: framesPerChunk > 0 ? { ...video, framesPerChunk } : video };
const model = createModel(config);
const spec = model.inputSpec;
const frames = Math.round(seconds * spec.fps);
const heapBytes = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
const inputs = {
  audio: tf.randomNormal([1, frames * spec.samplesPerFrame], 0, 0.3, 'float32', 1) as tf.Tensor2D,
  video: tf.randomUniform(
    [1, frames, spec.frameSize, spec.frameSize, spec.channels],
    0,
    1,
    'float32',
    2,
  ) as tf.Tensor5D,
  lengths: [frames],
};
const labels = [tf.oneHot(tf.tensor1d([1], 'int32'), 4), tf.oneHot(tf.tensor1d([0], 'int32'), 2)];
const heapBefore = heapBytes();
const tensorsBefore = tf.memory().numTensors;
const start = performance.now();
const { value, grads } = tf.variableGrads(() => {
  const logits = model.forward(inputs, { training: true, seed: 7 });
  return tf.addN(tasks.map((task, t) => tf.losses.softmaxCrossEntropy(labels[t]!, logits[task.name]!))) as tf.Scalar;
}, model.trainableVariables());
const loss = value.dataSync()[0]!;
const finite = Object.values(grads).every((g) => g.dataSync().every(Number.isFinite));
const wallSeconds = (performance.now() - start) / 1000;
tf.dispose([value, ...Object.values(grads)]);
const gib = (bytes: number) => +(bytes / 2 ** 30).toFixed(2);
console.log(
  JSON.stringify({
    preset: 'paper',
    seconds,
    frames,
    samples: frames * spec.samplesPerFrame,
    framesPerChunk: framesPerChunk > 0 ? framesPerChunk : 'all',
    threads: Number(flags.threads),
    wallSeconds: +wallSeconds.toFixed(1),
    wasmHeapGiB: { before: gib(heapBefore), peak: gib(heapBytes()) },
    peakRssGiB: gib(process.resourceUsage().maxRSS * 1024),
    loss: +loss.toFixed(4),
    gradientsFinite: finite,
    tensorsLeaked: tf.memory().numTensors - tensorsBefore,
  }),
);
