import * as tf from '@tensorflow/tfjs-core';
import { type Modal, type ModelConfig, type MultitaskModel, type PresetName, presetConfig } from '../src/index.js';

export const TASKS = [
  { name: 'emotion', classes: 4 },
  { name: 'gender', classes: 2 },
];

/** The paper preset at a test size: ResNet-50 on 32x32 frames instead of 96x96. */
export function testConfig(preset: PresetName, modal: Modal, seed = 0): ModelConfig {
  const config = presetConfig(preset, { modal, tasks: TASKS, seed });
  return preset === 'paper' ? { ...config, video: { ...config.video, frameSize: 32 } } : config;
}

/** Reproducible inputs for `model`: noise waveforms and frames, zero past each clip's length. */
export function makeInputs(model: MultitaskModel, lengths: number[], frames: number, seed = 1) {
  const spec = model.inputSpec;
  const batch = lengths.length;
  return tf.tidy(() => {
    const frameMask = tf.tensor2d(
      lengths.flatMap((length) => Array.from({ length: frames }, (_, t) => (t < length ? 1 : 0))),
      [batch, frames],
    );
    const sampleMask = tf.reshape(tf.tile(tf.expandDims(frameMask, 2), [1, 1, spec.samplesPerFrame]), [batch, -1]);
    const audio = tf.mul(tf.randomNormal([batch, frames * spec.samplesPerFrame], 0, 0.5, 'float32', seed), sampleMask);
    const video = tf.mul(
      tf.randomUniform([batch, frames, spec.frameSize, spec.frameSize, spec.channels], 0, 1, 'float32', seed + 1),
      tf.reshape(frameMask, [batch, frames, 1, 1, 1]),
    );
    return { audio: audio as tf.Tensor2D, video: video as tf.Tensor5D, lengths };
  });
}

/** max |a - b| / max(1e-6, max |b|). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let scale = 1e-6;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / scale;
}
