import { initBackend } from '@mtl/backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CnnVideoConfig,
  createModel,
  type FaceEncoderName,
  FrozenFaceEncoder,
  type Modal,
  type ModelConfig,
  type MultitaskModel,
  modelCost,
  type PresetName,
  presetConfig,
  VariableStore,
  type VideoEncoderName,
} from '../src/index.js';
import { makeInputs, relativeError, TASKS, testConfig } from './helpers.js';

const MODALS: Modal[] = ['audio', 'video', 'multi'];
const PRESETS: PresetName[] = ['compact', 'paper'];

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

function parameterCount(map: Record<string, tf.Variable>): number {
  return Object.values(map).reduce((sum, v) => sum + v.size, 0);
}

describe('every modal x preset', () => {
  for (const preset of PRESETS) {
    for (const modal of MODALS) {
      it(`${preset} ${modal}: logits per task, variable tree, parameter count`, () => {
        const model = createModel(testConfig(preset, modal));
        try {
          // The paper preset at one frame per clip: its kernel-4000 conv alone is 2e9 multiply-adds per frame.
          const inputs = preset === 'paper' ? makeInputs(model, [1, 1], 1) : makeInputs(model, [2, 1], 2);
          const logits = model.forward(inputs);
          expect(Object.keys(logits).sort()).toEqual(['emotion', 'gender']);
          expect(logits.emotion!.shape).toEqual([2, 4]);
          expect(logits.gender!.shape).toEqual([2, 2]);
          expect(Array.from(logits.emotion!.dataSync()).every(Number.isFinite)).toBe(true);

          const tree = model.variables();
          const shared = Object.keys(tree.shared);
          expect(Object.keys(tree.heads).sort()).toEqual(['emotion', 'gender']);
          expect(Object.keys(tree.heads.emotion!).sort()).toEqual([
            'heads/emotion/dense/bias',
            'heads/emotion/dense/kernel',
          ]);
          expect(shared.some((path) => path.startsWith('heads/'))).toBe(false);
          expect(shared).toContain('fusion/lstm/layer1/recurrentKernel');
          // The top LSTM layer, found by the model, not by a path the trainer knows.
          expect(Object.keys(tree.lastSharedLayer).sort()).toEqual([
            'fusion/lstm/layer1/bias',
            'fusion/lstm/layer1/inputKernel',
            'fusion/lstm/layer1/recurrentKernel',
          ]);
          for (const [path, variable] of Object.entries(tree.lastSharedLayer)) expect(tree.shared[path]).toBe(variable);
          expect(shared.includes('audio/conv1/kernel')).toBe(modal !== 'video');
          expect(shared.includes('video/stem/conv/kernel')).toBe(modal !== 'audio');
          // Batch-norm averages are saved but not trained.
          const state = model.allVariables().filter((entry) => !entry.trainable);
          expect(state.every((entry) => /\/bn\/moving(Mean|Variance)$/.test(entry.path))).toBe(true);
          expect(state.length > 0).toBe(modal !== 'audio');

          const cost = modelCost(model.config);
          expect(parameterCount(tree.shared)).toBe(cost.parameters.shared);
          expect(parameterCount(tree.heads.emotion!) + parameterCount(tree.heads.gender!)).toBe(cost.parameters.heads);
          tf.dispose([inputs.audio, inputs.video, ...Object.values(logits)]);
        } finally {
          model.dispose();
        }
      });
    }
  }
});

describe('cost report', () => {
  it('matches the paper figures: AudioNet conv cost and ResNet-50 size and FLOPs', () => {
    const paper = presetConfig('paper', { modal: 'multi', tasks: TASKS });
    const cost = modelCost(paper);
    // conv1 at 16 kHz (80 taps, 1 -> 40) + conv2 at 8 kHz (4000 taps, 40 -> 40), 2 FLOPs per multiply-add.
    expect(cost.flopsPerSecond.audio).toBe(2 * (16000 * 80 * 40 + 8000 * 4000 * 40 * 40));
    // ~3e11 multiply-adds per 6 s utterance for the kernel-4000 conv (PAPER.md).
    expect((cost.flopsPerSecond.audio / 2) * 6).toBeGreaterThan(3e11);
    // torchvision's ResNet-50 has 25,557,032 parameters, 23,508,032 without its 2048 x 1000 head.
    expect(cost.parameters.video).toBe(23_508_032);
    // ...and about 4.1 G multiply-adds per 224 x 224 image.
    const at224 = modelCost({ ...paper, video: { ...paper.video, frameSize: 224 } });
    expect(at224.flopsPerSecond.video / 2 / paper.fps / 4.1e9).toBeCloseTo(1, 1);
    // LSTM: layer 0 reads 1280 + 2048 features.
    expect(cost.parameters.fusion).toBe((3328 + 256) * 1024 + 1024 + (256 + 256) * 1024 + 1024);
    expect(cost.parameters.heads).toBe(256 * 6 + 6);
  });
});

describe('compact multi model', () => {
  const config = testConfig('compact', 'multi');
  let model: MultitaskModel;
  beforeAll(() => {
    model = createModel(config, { name: 'compactUnderTest' });
  });
  afterAll(() => model.dispose());

  it('gives a clip the same logits alone as padded inside a longer batch, whatever the padding holds', () => {
    const lengths = [4, 2, 3];
    const batch = makeInputs(model, lengths, 5, 7);
    const inBatch = model.forward(batch);
    lengths.forEach((length, clip) => {
      const alone = model.forward({
        audio: tf.slice(batch.audio, [clip, 0], [1, length * model.inputSpec.samplesPerFrame]),
        video: tf.slice(batch.video, [clip, 0, 0, 0, 0], [1, length, -1, -1, -1]),
        lengths: [length],
      });
      for (const task of ['emotion', 'gender']) {
        const row = tf.slice(inBatch[task]!, [clip, 0], [1, -1]);
        expect(relativeError(row.dataSync(), alone[task]!.dataSync())).toBeLessThan(1e-5);
      }
    });
    // Noise past each clip's length changes nothing at all.
    const noisy = model.forward({
      audio: tf.add(
        batch.audio,
        tf.mul(tf.randomNormal(batch.audio.shape, 0, 1, 'float32', 8), tf.equal(batch.audio, 0)),
      ) as tf.Tensor2D,
      video: tf.add(
        batch.video,
        tf.mul(tf.randomUniform(batch.video.shape, 0, 1, 'float32', 9), tf.equal(batch.video, 0)),
      ) as tf.Tensor5D,
      lengths,
    });
    expect(Array.from(noisy.emotion!.dataSync())).toEqual(Array.from(inBatch.emotion!.dataSync()));
  });

  it('is deterministic: same config gives the same weights; a training seed replays dropout', () => {
    const twin = createModel(config);
    const inputs = makeInputs(model, [3, 2], 3, 10);
    try {
      expect(Array.from(twin.forward(inputs).gender!.dataSync())).toEqual(
        Array.from(model.forward(inputs).gender!.dataSync()),
      );
      const run = (seed: number) => Array.from(model.forward(inputs, { training: true, seed }).emotion!.dataSync());
      expect(run(1)).toEqual(run(1));
      expect(run(1)).not.toEqual(run(2));
    } finally {
      twin.dispose();
    }
  });

  it('trains: every trainable variable gets a finite non-zero gradient, Adam lowers the loss, nothing leaks', () => {
    const inputs = makeInputs(model, [3, 2, 3, 1], 3, 11);
    const labels = {
      emotion: tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4),
      gender: tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2),
    };
    const loss = () => {
      const logits = model.forward(inputs, { training: true, seed: 3 });
      return tf.add(
        tf.losses.softmaxCrossEntropy(labels.emotion, logits.emotion!),
        tf.losses.softmaxCrossEntropy(labels.gender, logits.gender!),
      ) as tf.Scalar;
    };
    tf.tidy(() => {
      const { grads } = tf.variableGrads(loss, model.trainableVariables());
      for (const variable of model.trainableVariables()) {
        const g = grads[variable.name]!.dataSync();
        expect(g.every(Number.isFinite), variable.name).toBe(true);
        expect(
          g.some((v) => v !== 0),
          variable.name,
        ).toBe(true);
      }
    });

    const optimizer = tf.train.adam(3e-3);
    const step = () => {
      const value = optimizer.minimize(loss, true, model.trainableVariables())!;
      const result = value.dataSync()[0]!;
      value.dispose();
      return result;
    };
    const first = step();
    const movingMeanBefore = Array.from(
      model
        .allVariables()
        .find((e) => e.path.endsWith('movingMean'))!
        .variable.dataSync(),
    );
    const tensors = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 8; i++) last = step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(last).toBeLessThan(first);
    const movingMeanAfter = Array.from(
      model
        .allVariables()
        .find((e) => e.path.endsWith('movingMean'))!
        .variable.dataSync(),
    );
    expect(movingMeanAfter).not.toEqual(movingMeanBefore);

    const beforeForward = tf.memory().numTensors;
    tf.dispose(model.forward(inputs));
    expect(tf.memory().numTensors).toBe(beforeForward);
    optimizer.dispose();
    tf.dispose([inputs.audio, inputs.video, labels.emotion, labels.gender]);
  });

  it('rejects bad inputs with a message naming the input and the problem', () => {
    const spec = model.inputSpec;
    const good = makeInputs(model, [2, 2], 2);
    expect(() => model.forward({ video: good.video, lengths: [2, 2] })).toThrow(
      /modal 'multi'\): inputs.audio is required/,
    );
    expect(() => model.forward({ audio: good.audio, lengths: [2, 2] })).toThrow(/inputs.video is required/);
    expect(() => model.forward({ ...good, audio: tf.zeros([2, 2 * spec.samplesPerFrame + 1]) as tf.Tensor2D })).toThrow(
      new RegExp(`inputs.audio must be \\[batch, frames \\* ${spec.samplesPerFrame}\\]`),
    );
    expect(() => model.forward({ ...good, video: tf.zeros([2, 2, 16, 16, 3]) as tf.Tensor5D })).toThrow(
      /inputs.video must be \[batch, frames, 32, 32, 3\], got \[2, 2, 16, 16, 3\]/,
    );
    expect(() => model.forward({ ...good, video: tf.zeros([2, 3, 32, 32, 3]) as tf.Tensor5D })).toThrow(
      /inputs.video has 2 clips x 3 frames but inputs.audio has 2 clips x 2 frames/,
    );
    expect(() => model.forward({ ...good, lengths: [2, 3] })).toThrow(
      /lengths\[1\] = 3; each length must be an integer in \[1, 2\]/,
    );
    expect(() => model.forward({ ...good, lengths: [2] })).toThrow(/lengths has 1 entries for a batch of 2 clips/);
    expect(() => createModel(config, { name: 'compactUnderTest' })).toThrow(/live model named 'compactUnderTest'/);
  });
});

describe('config validation', () => {
  const base = presetConfig('compact', { modal: 'multi', tasks: TASKS });
  const cases: [string, (c: ModelConfig) => void, RegExp][] = [
    ['no tasks', (c) => (c.tasks = []), /ModelConfig.tasks: must not be empty/],
    ['one class', (c) => (c.tasks[1]!.classes = 1), /ModelConfig.tasks\[1\].classes: needs at least 2 classes/],
    ['duplicate task', (c) => (c.tasks[1]!.name = 'emotion'), /ModelConfig.tasks\[1\].name: 'emotion' appears twice/],
    ['bad modal', (c) => (c.modal = 'text' as Modal), /ModelConfig.modal: must be 'audio', 'video' or 'multi'/],
    [
      'uneven frame',
      (c) => (c.fps = 7),
      /ModelConfig.audio.sampleRate: samplesPerFrame: sampleRate 16000 \/ fps 7 = 2285.714 is not a whole number/,
    ],
    [
      'stride',
      (c) => (c.audio.layers[1]!.stride = 3),
      /ModelConfig.audio.layers\[1\].stride: 3 does not divide the 100 steps per frame/,
    ],
    [
      'channel pool',
      (c) => (c.audio.channelPool = 5),
      /ModelConfig.audio.channelPool: 5 does not divide the last conv's 16 filters/,
    ],
    ['channels', (c) => (c.video.channels = 2), /ModelConfig.video.channels: must be 1 or 3, got 2/],
    [
      'kernel',
      (c) => ((c.video as CnnVideoConfig).stem.kernel = 0),
      /ModelConfig.video.stem.kernel: must be a positive integer, got 0/,
    ],
    ['dropout', (c) => (c.fusion.dropout = 1), /ModelConfig.fusion.dropout: must be in \[0, 1\), got 1/],
    [
      'video encoder',
      (c) => (c.video.encoder = 'vgg-face' as VideoEncoderName),
      /ModelConfig.video.encoder: must be one of 'cnn', 'face-recognition', 'face-expression', got "vgg-face"/,
    ],
    [
      'CNN fields on a face encoder',
      (c) => (c.video.encoder = 'face-expression'),
      /ModelConfig.video.stem: belongs to the 'cnn' encoder only; remove it for 'face-expression'/,
    ],
  ];
  for (const [name, mutate, message] of cases) {
    it(`rejects ${name}`, () => {
      const config = structuredClone(base);
      mutate(config);
      expect(() => createModel(config)).toThrow(message);
      expect(() => modelCost(config)).toThrow(message);
    });
  }
  it('rejects an unknown preset', () => {
    expect(() => presetConfig('huge' as PresetName, { modal: 'multi', tasks: TASKS })).toThrow(/unknown preset 'huge'/);
  });
  it('rejects an unknown video encoder, listing the valid ones', () => {
    expect(() =>
      presetConfig('paper', { modal: 'video', tasks: TASKS, videoEncoder: 'facenet' as VideoEncoderName }),
    ).toThrow("presetConfig: unknown videoEncoder 'facenet'; valid: cnn, face-recognition, face-expression");
  });
  it('refuses a FrozenFaceEncoder for anything but a face encoder, before loading face-api', () => {
    const scope = new VariableStore('notFace', 0).scope('video');
    expect(
      () => new FrozenFaceEncoder(scope, { encoder: 'cnn' as FaceEncoderName, frameSize: 32, channels: 3 }),
    ).toThrow('FrozenFaceEncoder: encoder must be one of face-recognition, face-expression, got "cnn"');
  });
  it('sizes frames for a face encoder: its input size, RGB', () => {
    for (const [videoEncoder, frameSize] of [
      ['face-recognition', 150],
      ['face-expression', 112],
    ] as const) {
      const config = presetConfig('paper', { modal: 'multi', tasks: TASKS, videoEncoder });
      expect(config.video).toEqual({ encoder: videoEncoder, frameSize, channels: 3 });
      expect(config.audio).toEqual(presetConfig('paper', { modal: 'multi', tasks: TASKS }).audio);
    }
  });
});
