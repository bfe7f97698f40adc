import { initBackend } from '@mtl/backend';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CnnVideoConfig, presetConfig, VariableStore, VideoNet, validateConfig } from '../src/index.js';
import { relativeError, TASKS } from './helpers.js';

/** The compact preset's ResNet; `framesPerChunk` as given. */
function videoConfig(framesPerChunk?: number): CnnVideoConfig {
  const config = presetConfig('compact', { modal: 'video', tasks: TASKS }).video as CnnVideoConfig;
  return framesPerChunk === undefined ? config : { ...config, framesPerChunk };
}

/** A VideoNet in a store of its own; the same seed gives every store the same weights. */
function videoNet(name: string, framesPerChunk?: number) {
  const store = new VariableStore(name, 3);
  const net = new VideoNet(store.scope('video'), videoConfig(framesPerChunk));
  return { store, net, variables: store.scope('video').trainableVariables() };
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('VideoNet framesPerChunk', () => {
  it('validates the option', () => {
    const config = presetConfig('compact', { modal: 'video', tasks: TASKS });
    for (const bad of [0, 2.5, '4']) {
      expect(() => validateConfig({ ...config, video: { ...videoConfig(), framesPerChunk: bad as number } })).toThrow(
        `ModelConfig.video.framesPerChunk: must be a positive integer, got ${JSON.stringify(bad)}`,
      );
    }
    expect(() => validateConfig({ ...config, video: videoConfig(4) })).not.toThrow();
  });

  it('inference: the same features whatever the chunk size', () => {
    const images = tf.randomUniform([7, 32, 32, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const whole = videoNet('whole');
    const chunked = videoNet('chunked', 3);
    const a = whole.net.encodeFrames(images, { training: false });
    const b = chunked.net.encodeFrames(images, { training: false });
    expect(relativeError(b.dataSync(), a.dataSync())).toBeLessThan(1e-5);
    tf.dispose([images, a, b]);
    whole.store.dispose();
    chunked.store.dispose();
  });

  it('training: the peak of live tensor bytes is that of one chunk, not of the whole batch', async () => {
    await tf.setBackend('wasm');
    const images = tf.randomUniform([48, 32, 32, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const peak = async (framesPerChunk?: number) => {
      const { store, net, variables } = videoNet(`peak_${framesPerChunk ?? 'all'}`, framesPerChunk);
      const info = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.sum(net.encodeFrames(images, { training: true })) as tf.Scalar,
          variables,
        );
        tf.dispose([value, ...Object.values(grads)]);
      });
      store.dispose();
      return info.peakBytes;
    };
    const whole = await peak();
    const chunked = await peak(3);
    // 16 chunks: the tape of one (a sixteenth), plus the weights, their gradients and the inputs.
    expect(chunked, `chunked ${chunked} B, whole ${whole} B`).toBeLessThan(0.3 * whole);
    images.dispose();
  });

  it('training: recomputed chunks give the gradients and moving averages of chunks kept on the tape, and leak nothing', async () => {
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      const images = tf.randomUniform([7, 32, 32, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
      const weights = tf.randomNormal([7, 32], 0, 1, 'float32', 5);
      const chunked = videoNet(`chunked_${backend}`, 3);
      const reference = videoNet(`reference_${backend}`);
      const ctx = { training: true };
      const before = tf.memory().numTensors;
      const actual = tf.variableGrads(
        () => tf.sum(tf.mul(chunked.net.encodeFrames(images, ctx), weights)) as tf.Scalar,
        chunked.variables,
      );
      // The reference keeps every chunk's activations: each chunk through the plain net on the tape.
      const expected = tf.variableGrads(() => {
        const parts = [0, 3, 6].map((start) =>
          reference.net.encodeFrames(tf.slice(images, [start, 0, 0, 0], [Math.min(3, 7 - start), 32, 32, 3]), ctx),
        );
        return tf.sum(tf.mul(tf.concat(parts, 0), weights)) as tf.Scalar;
      }, reference.variables);
      expect(actual.value.dataSync()[0]).toBeCloseTo(expected.value.dataSync()[0]!, 3);
      chunked.variables.forEach((variable, i) => {
        const other = reference.variables[i]!;
        expect(
          relativeError(actual.grads[variable.name]!.dataSync(), expected.grads[other.name]!.dataSync()),
          `${backend} ${variable.name}`,
        ).toBeLessThan(1e-4);
      });
      // Moving averages: updated once per chunk by the first pass, not again by the recomputation.
      const averages = (store: VariableStore) =>
        store
          .entries()
          .filter((entry) => !entry.trainable)
          .map((entry) => entry.variable.dataSync());
      averages(chunked.store).forEach((values, i) => {
        expect(relativeError(values, averages(reference.store)[i]!), `${backend} moving average ${i}`).toBeLessThan(
          1e-5,
        );
      });
      tf.dispose([actual.value, expected.value, ...Object.values(actual.grads), ...Object.values(expected.grads)]);
      expect(tf.memory().numTensors, backend).toBe(before);
      tf.dispose([images, weights]);
      chunked.store.dispose();
      reference.store.dispose();
    }
  });
});
