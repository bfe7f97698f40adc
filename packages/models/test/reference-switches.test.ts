import { initBackend } from '@mtl/backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AudioNet,
  type AudioNetConfig,
  BatchNorm,
  type CnnVideoConfig,
  Conv2D,
  createModel,
  type ModelConfig,
  presetConfig,
  stridedPadding,
  VariableStore,
  validateConfig,
} from '../src/index.js';
import { makeInputs, relativeError, TASKS } from './helpers.js';

let store: VariableStore;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  store = new VariableStore('switches', 3);
});
afterAll(() => store.dispose());

/** y[t] = bias + sum_j w[j] * x[t + j - before], zero outside x: a 1-channel conv written out. */
function referenceConv(x: Float32Array, w: Float32Array, bias: number, before: number): Float32Array {
  return Float32Array.from(x, (_, t) => {
    let sum = bias;
    for (let j = 0; j < w.length; j++) {
      const i = t + j - before;
      if (i >= 0 && i < x.length) sum += w[j]! * x[i]!;
    }
    return sum;
  });
}

describe("the paper preset's reference-code switches", () => {
  it('are the reference values in paper and the present choices in compact', () => {
    const paper = presetConfig('paper', { modal: 'multi', tasks: TASKS });
    const compact = presetConfig('compact', { modal: 'multi', tasks: TASKS });
    expect([paper.audio.activation, paper.audio.padding]).toEqual(['linear', 'torch']);
    const paperVideo = paper.video as CnnVideoConfig;
    expect([paperVideo.stridePadding, paperVideo.runningVariance]).toEqual(['symmetric', 'unbiased']);
    expect([compact.audio.activation, compact.audio.padding]).toEqual(['relu', 'tf']);
    const compactVideo = compact.video as CnnVideoConfig;
    expect([compactVideo.stridePadding, compactVideo.runningVariance]).toEqual(['same', 'biased']);
    const bad = (edit: (c: ModelConfig) => void) => {
      const config = structuredClone(paper);
      edit(config);
      return () => validateConfig(config);
    };
    expect(bad((c) => (c.audio.padding = 'left' as never))).toThrow(
      "ModelConfig.audio.padding: must be one of 'tf', 'torch', got \"left\"",
    );
    expect(bad((c) => (c.audio.activation = 'tanh' as never))).toThrow(
      "ModelConfig.audio.activation: must be one of 'relu', 'linear'",
    );
    expect(bad((c) => ((c.video as CnnVideoConfig).stridePadding = 'reflect' as never))).toThrow(
      'ModelConfig.video.stridePadding',
    );
    expect(bad((c) => ((c.video as CnnVideoConfig).runningVariance = 'none' as never))).toThrow(
      'ModelConfig.video.runningVariance',
    );
  });

  it("pads an even waveform kernel 40/39 under 'torch' and 39/40 under 'tf', with no activation under 'linear'", () => {
    const waveform = tf.randomNormal([1, 160], 0, 1, 'float32', 4) as tf.Tensor2D;
    const x = waveform.dataSync() as Float32Array;
    for (const [padding, before] of [
      ['torch', 40],
      ['tf', 39],
    ] as const) {
      const config: AudioNetConfig = {
        sampleRate: 160,
        layers: [{ filters: 1, kernel: 80, stride: 1, pool: 1 }],
        channelPool: 1,
        activation: 'linear',
        padding,
      };
      const net = new AudioNet(store.scope(`audio_${padding}`), config, 160);
      const conv = net.convs[0]!;
      conv.bias.assign(tf.tensor1d([0.1]));
      const y = net.apply(waveform, [1]).dataSync();
      const expected = referenceConv(x, conv.kernel.dataSync() as Float32Array, 0.1, before);
      expect(relativeError(y, expected)).toBeLessThan(1e-5);
      expect(Array.from(y).some((v) => v < 0)).toBe(true); // no ReLU
    }
    waveform.dispose();
  });

  it("pads a stride-2 conv symmetrically under 'symmetric': the first output sees the frame's corner at the kernel's centre", () => {
    expect(stridedPadding(3, 2, 'symmetric')).toBe(1);
    expect(stridedPadding(7, 2, 'symmetric')).toBe(3);
    expect(stridedPadding(3, 1, 'symmetric')).toBe('same');
    expect(stridedPadding(3, 2, 'same')).toBe('same');
    const image = tf.randomUniform([1, 6, 6, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
    const conv = new Conv2D(store.scope('conv_sym'), 1, {
      filters: 1,
      kernel: 3,
      stride: 2,
      padding: 1,
      useBias: false,
    });
    const same = new Conv2D(store.scope('conv_same'), 1, { filters: 1, kernel: 3, stride: 2, useBias: false });
    same.kernel.assign(conv.kernel);
    const w = conv.kernel.dataSync();
    const px = image.dataSync();
    const at = (r: number, c: number) => (r < 0 || c < 0 ? 0 : px[r * 6 + c]!);
    // Output (0, 0): rows and columns -1..1 under symmetric padding, 0..2 under TF's 'same' (its padding goes after).
    const corner = (offset: number) => {
      let sum = 0;
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) sum += w[i * 3 + j]! * at(i + offset, j + offset);
      return sum;
    };
    const symmetric = conv.apply(image);
    expect(symmetric.shape).toEqual([1, 3, 3, 1]);
    expect(symmetric.dataSync()[0]).toBeCloseTo(corner(-1), 5);
    expect(same.apply(image).dataSync()[0]).toBeCloseTo(corner(0), 5);
    tf.dispose([image, symmetric]);
  });

  it("keeps batch norm's running variance unbiased (n / (n - 1)) when asked, biased otherwise", () => {
    const values = [1, 2, 4, 7]; // mean 3.5, biased variance 5.25, unbiased 7
    const x = tf.tensor2d(values, [4, 1]);
    for (const [unbiased, variance] of [
      [true, 7],
      [false, 5.25],
    ] as const) {
      const norm = new BatchNorm(store.scope(`bn_${unbiased}`), 1, { unbiasedRunningVariance: unbiased });
      tf.dispose(norm.apply(x, { training: true }));
      expect(norm.movingVariance.dataSync()[0]).toBeCloseTo(0.9 * 1 + 0.1 * variance, 6);
      expect(norm.movingMean.dataSync()[0]).toBeCloseTo(0.1 * 3.5, 6);
    }
    x.dispose();
  });

  it('trains on wasm with every reference switch on, leaking nothing', () => {
    const compact = presetConfig('compact', { modal: 'multi', tasks: TASKS, seed: 2 });
    const config: ModelConfig = {
      ...compact,
      audio: { ...compact.audio, activation: 'linear', padding: 'torch' },
      video: { ...(compact.video as CnnVideoConfig), stridePadding: 'symmetric', runningVariance: 'unbiased' },
    };
    const model = createModel(config);
    const inputs = makeInputs(model, [3, 2], 3, 6);
    const labels = {
      emotion: tf.oneHot(tf.tensor1d([0, 3], 'int32'), 4),
      gender: tf.oneHot(tf.tensor1d([1, 0], 'int32'), 2),
    };
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const logits = model.forward(inputs, { training: true, seed: 1 });
        return tf.add(
          tf.losses.softmaxCrossEntropy(labels.emotion, logits.emotion!),
          tf.losses.softmaxCrossEntropy(labels.gender, logits.gender!),
        ) as tf.Scalar;
      }, model.trainableVariables());
      for (const variable of model.trainableVariables()) {
        const g = grads[variable.name]!.dataSync();
        expect(g.every(Number.isFinite), variable.name).toBe(true);
        expect(
          g.some((v) => v !== 0),
          variable.name,
        ).toBe(true);
      }
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([inputs.audio, inputs.video, labels.emotion, labels.gender]);
    model.dispose();
  });
});
