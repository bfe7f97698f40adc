// Times a training step of a preset on a backend:
// `pnpm bench [preset] [backend] [batch] [seconds] [videoEncoder] [--threads N] [--steps N]`.
// Defaults: compact, wasm, batch 8, 3 s clips (lengths spread over 60-100% of that), cnn,
// 1 wasm thread, 8 timed steps. With MTL_PROFILE=1 it also prints the kernel time profile of one step.
import { parseArgs } from 'node:util';
import { fusedAdam, initBackend } from '@mtl/backend';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, modelCost, type PresetName, presetConfig, type VideoEncoderName } from '../src/index.js';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { threads: { type: 'string', default: '1' }, steps: { type: 'string', default: '8' } },
});
const [preset = 'compact', backend = 'wasm', batchArg = '8', secondsArg = '3', videoEncoder = 'cnn'] = positionals;
const batch = Number(batchArg);
const seconds = Number(secondsArg);
const timedSteps = Number(flags.steps);
const choice = await initBackend({
  backend: backend as 'wasm' | 'cpu',
  threads: backend === 'wasm' ? Number(flags.threads) : undefined,
});

const tasks = [
  { name: 'emotion', classes: 4 },
  { name: 'gender', classes: 2 },
];
const config = presetConfig(preset as PresetName, {
  modal: 'multi',
  tasks,
  videoEncoder: videoEncoder as VideoEncoderName,
});
const cost = modelCost(config);
const model = createModel(config);
const spec = model.inputSpec;
const frames = Math.round(seconds * spec.fps);
const lengths = Array.from({ length: batch }, (_, i) =>
  Math.max(1, Math.round(frames * (0.6 + (0.4 * i) / Math.max(1, batch - 1)))),
);
const audio = tf.randomNormal([batch, frames * spec.samplesPerFrame], 0, 0.3, 'float32', 1) as tf.Tensor2D;
const video = tf.randomUniform(
  [batch, frames, spec.frameSize, spec.frameSize, spec.channels],
  0,
  1,
  'float32',
  2,
) as tf.Tensor5D;
const labels = tasks.map((task, t) =>
  tf.oneHot(
    tf.tensor1d(
      lengths.map((_, i) => (i + t) % task.classes),
      'int32',
    ),
    task.classes,
  ),
);
const optimizer = fusedAdam(1e-3);

function step(seed: number): number {
  const loss = optimizer.minimize(
    () => {
      const logits = model.forward({ audio, video, lengths }, { training: true, seed });
      return tf.addN(
        tasks.map((task, t) => tf.losses.softmaxCrossEntropy(labels[t]!, logits[task.name]!)),
      ) as tf.Scalar;
    },
    true,
    model.trainableVariables(),
  );
  const value = loss!.dataSync()[0]!;
  loss!.dispose();
  return value;
}

// Warm-up: the first steps create XNNPACK operators and grow the wasm heap.
for (let s = 0; s < 3; s++) step(-1 - s);
const tensorsBefore = tf.memory().numTensors;
const times: number[] = [];
let loss = 0;
for (let s = 1; s <= timedSteps; s++) {
  const start = performance.now();
  loss = step(s);
  times.push(performance.now() - start);
}
times.sort((a, b) => a - b);
console.log(
  JSON.stringify(
    {
      preset,
      videoEncoder,
      backend: choice.name,
      threads: choice.threads ?? 1,
      batch,
      framesPerClip: frames,
      lengths,
      parameters: cost.parameters,
      gflopsPerSecondOfInput: Object.fromEntries(
        Object.entries(cost.flopsPerSecond).map(([k, v]) => [k, +(v / 1e9).toFixed(4)]),
      ),
      stepMs: {
        median: +times[times.length >> 1]!.toFixed(1),
        min: +times[0]!.toFixed(1),
        max: +times[times.length - 1]!.toFixed(1),
      },
      tensorsLeaked: tf.memory().numTensors - tensorsBefore,
      timedSteps,
      lastLoss: +loss.toFixed(4),
    },
    null,
    2,
  ),
);

// MTL_PROFILE=1: where one step's time goes, per kernel, summed over its calls.
if (process.env.MTL_PROFILE) {
  const info = await tf.profile(() => {
    step(99);
  });
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const kernel of info.kernels) {
    const entry = byKernel.get(kernel.name) ?? { ms: 0, calls: 0 };
    entry.ms += Number(await kernel.kernelTimeMs);
    entry.calls += 1;
    byKernel.set(kernel.name, entry);
  }
  const total = [...byKernel.values()].reduce((sum, e) => sum + e.ms, 0);
  const top = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30);
  console.log(
    JSON.stringify({
      profile: {
        kernelCalls: info.kernels.length,
        kernelMsTotal: +total.toFixed(1),
        top: top.map(([name, e]) => ({
          name,
          ms: +e.ms.toFixed(1),
          calls: e.calls,
          share: +(e.ms / total).toFixed(3),
        })),
      },
    }),
  );
}
