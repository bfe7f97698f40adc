import * as tf from '@tensorflow/tfjs-core';
import type { FaceVideoConfig } from '../config.js';
import { FACE_ENCODERS, type FaceEncoderSpec } from '../face-encoders.js';
import type { Scope } from '../variable-store.js';
import { type LoadedFaceNet, loadFaceNet } from './face-api-runtime.js';
import { encodeValidFrames } from './valid-frames.js';

/** A weight a model uses but never trains nor saves. */
export interface FrozenWeight {
  /** `video/<encoder>/<face-api's parameter path>`, e.g. `video/face-recognition/conv32_down/conv/filters`. */
  path: string;
  tensor: tf.Tensor;
}

/**
 * The video branch with a frozen pretrained face net from `@vladmandic/face-api`: every
 * valid frame (a face crop, values in [0, 1]) is resized to the net's input, scaled to
 * 0-255 as face-api expects, and turned into `featuresPerFrame` features. The net's
 * weights are plain tensors loaded once per process: not variables, so no optimiser,
 * gradient method or checkpoint sees them, and the gradient stops at its output.
 */
export class FrozenFaceEncoder {
  readonly spec: FaceEncoderSpec;
  readonly featuresPerFrame: number;
  private readonly net: LoadedFaceNet;
  private readonly encodeStopped: (images: tf.Tensor4D) => tf.Tensor2D;

  constructor(
    private readonly scope: Scope,
    private readonly config: FaceVideoConfig,
  ) {
    if (!Object.hasOwn(FACE_ENCODERS, config.encoder)) {
      throw new Error(
        `FrozenFaceEncoder: encoder must be one of ${Object.keys(FACE_ENCODERS).join(', ')}, got ${JSON.stringify(config.encoder)}`,
      );
    }
    this.spec = FACE_ENCODERS[config.encoder];
    this.featuresPerFrame = this.spec.features;
    this.net = loadFaceNet(config.encoder, `video.encoder '${config.encoder}'`);
    // A custom gradient of zero: the net's ops run as one opaque step that a gradient tape
    // records without its activations, and nothing flows back into the net or the frames.
    this.encodeStopped = tf.customGrad((...inputs) => {
      const images = inputs[0] as tf.Tensor4D;
      return { value: this.net.run(this.toNetPixels(images)), gradFunc: () => tf.zerosLike(images) };
    }) as (images: tf.Tensor4D) => tf.Tensor2D;
  }

  /** Face crops [n, frameSize, frameSize, channels], values in [0, 1] -> features [n, featuresPerFrame]. */
  encodeFrames(images: tf.Tensor4D): tf.Tensor2D {
    return this.encodeStopped(images);
  }

  /** video [batch, frames, size, size, channels] -> [batch, frames, featuresPerFrame], valid frames only. */
  apply(video: tf.Tensor5D, lengths: readonly number[]): tf.Tensor3D {
    return encodeValidFrames(video, lengths, this.featuresPerFrame, (images) => this.encodeFrames(images));
  }

  frozenWeights(): FrozenWeight[] {
    const prefix = this.scope.child(this.config.encoder).path;
    return this.net.weights.map(({ path, tensor }) => ({ path: `${prefix}/${path}`, tensor }));
  }

  /** Grey frames are repeated to RGB; the nets were trained on RGB faces at their input size. */
  private toNetPixels(images: tf.Tensor4D): tf.Tensor4D {
    const size = this.spec.inputSize;
    let x = this.config.channels === 1 ? tf.tile(images, [1, 1, 1, 3]) : images;
    if (this.config.frameSize !== size) x = tf.image.resizeBilinear(x, [size, size], false, true);
    return tf.mul(x, 255);
  }
}
