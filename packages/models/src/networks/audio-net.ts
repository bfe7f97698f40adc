import * as tf from '@tensorflow/tfjs-core';
import type { AudioNetConfig } from '../config.js';
import { Conv1D } from '../layers/conv1d.js';
import { channelMaxPool, maxPool1d } from '../layers/pooling.js';
import type { Scope } from '../variable-store.js';

/**
 * The end-to-end waveform branch: convs over the whole padded waveform, each with its
 * activation (ReLU, or none as in the reference code) and a max pool, then a max across groups of channels; the result is cut into one
 * vector per frame (steps per frame x pooled channels, e.g. 320 x 4 = 1280 in the paper).
 */
export class AudioNet {
  readonly convs: Conv1D[];
  readonly featuresPerFrame: number;

  constructor(
    scope: Scope,
    private readonly config: AudioNetConfig,
    readonly samplesPerFrame: number,
  ) {
    let channels = 1;
    let steps = samplesPerFrame;
    this.convs = config.layers.map((layer, i) => {
      const conv = new Conv1D(scope.child(`conv${i + 1}`), channels, {
        filters: layer.filters,
        kernel: layer.kernel,
        stride: layer.stride,
        // `torch` pads by hand (pad, then a 'valid' conv), so the extra sample can go before.
        padding: config.padding === 'torch' ? 'valid' : 'same',
        activation: config.activation ?? 'relu',
      });
      channels = layer.filters;
      steps /= layer.stride * layer.pool;
      return conv;
    });
    this.featuresPerFrame = steps * (channels / config.channelPool);
  }

  /**
   * waveform [batch, frames * samplesPerFrame] -> [batch, frames, featuresPerFrame].
   * Every conv's input is zeroed past each clip's length, so a clip's valid frames see
   * the zero padding they would see alone, whatever the batch padded with and whatever
   * the previous conv made of the padding (ReLU of its bias, at least).
   */
  apply(waveform: tf.Tensor2D, lengths: readonly number[]): tf.Tensor3D {
    const [batch, samples] = waveform.shape;
    const frames = samples / this.samplesPerFrame;
    let stepsPerFrame = this.samplesPerFrame;
    let x = tf.reshape(waveform, [batch, samples, 1]) as tf.Tensor3D;
    this.convs.forEach((conv, i) => {
      const layer = this.config.layers[i]!;
      const input = zeroPastLengths(x, lengths, stepsPerFrame);
      const padded = this.config.padding === 'torch' ? torchSamePad(input, layer.kernel, layer.stride) : input;
      x = maxPool1d(conv.apply(padded), layer.pool);
      stepsPerFrame /= layer.stride * layer.pool;
    });
    x = channelMaxPool(x, this.config.channelPool);
    return tf.reshape(x, [batch, frames, this.featuresPerFrame]);
  }
}

/**
 * Pads [batch, steps, channels] for a 'valid' conv to give what 'same' gives (ceil(steps /
 * stride) outputs), with an odd total split as PyTorch's reference code splits it: the extra
 * sample before (40/39 for kernel 80, 2000/1999 for kernel 4000), where TensorFlow puts it after.
 */
function torchSamePad(x: tf.Tensor3D, kernel: number, stride: number): tf.Tensor3D {
  const steps = x.shape[1];
  const total = Math.max((Math.ceil(steps / stride) - 1) * stride + kernel - steps, 0);
  return tf.pad(x, [
    [0, 0],
    [Math.ceil(total / 2), Math.floor(total / 2)],
    [0, 0],
  ]);
}

/** Zeroes the steps of [batch, steps, channels] past each clip's `length * stepsPerFrame`. */
function zeroPastLengths(x: tf.Tensor3D, lengths: readonly number[], stepsPerFrame: number): tf.Tensor3D {
  const [batch, steps] = x.shape;
  const valid = new Float32Array(batch * steps);
  lengths.forEach((length, clip) => {
    valid.fill(1, clip * steps, clip * steps + length * stepsPerFrame);
  });
  return tf.mul(x, tf.tensor3d(valid, [batch, steps, 1]));
}
