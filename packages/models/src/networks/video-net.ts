import * as tf from '@tensorflow/tfjs-core';
import type { VideoNetConfig } from '../config.js';
import type { ForwardContext } from '../forward-context.js';
import { ConvBatchNorm } from '../layers/conv-batch-norm.js';
import { globalAveragePool2d, maxPool2d } from '../layers/pooling.js';
import { ResidualBlock } from '../layers/residual-block.js';
import type { Scope } from '../variable-store.js';

/**
 * The per-frame image branch: a ResNet (stem, stages of residual blocks, global average
 * pool) applied to every valid frame. ResNet-50 in the paper preset, trained from scratch.
 */
export class VideoNet {
  readonly stem: ConvBatchNorm;
  readonly blocks: ResidualBlock[];
  readonly featuresPerFrame: number;

  constructor(
    scope: Scope,
    private readonly config: VideoNetConfig,
  ) {
    this.stem = new ConvBatchNorm(scope.child('stem'), config.channels, {
      filters: config.stem.filters,
      kernel: config.stem.kernel,
      stride: config.stem.stride,
      relu: true,
    });
    let channels = config.stem.filters;
    this.blocks = [];
    config.stages.forEach((stage, s) => {
      for (let b = 0; b < stage.blocks; b++) {
        const block = new ResidualBlock(scope.child(`stage${s + 1}`).child(`block${b + 1}`), channels, {
          kind: config.block,
          filters: stage.filters,
          stride: b === 0 ? stage.stride : 1,
        });
        channels = block.outputChannels;
        this.blocks.push(block);
      }
    });
    this.featuresPerFrame = channels;
  }

  /** A batch of images [n, size, size, channels] -> features [n, featuresPerFrame]. */
  encodeFrames(images: tf.Tensor4D, ctx: ForwardContext): tf.Tensor2D {
    let x = this.stem.apply(images, ctx);
    if (this.config.stem.maxPool) x = maxPool2d(x, 3, 2);
    for (const block of this.blocks) x = block.apply(x, ctx);
    return globalAveragePool2d(x);
  }

  /**
   * video [batch, frames, size, size, channels] -> [batch, frames, featuresPerFrame].
   * Only valid frames go through the CNN (padding costs nothing, and batch-norm statistics
   * never see it); padded frames get zero features.
   */
  apply(video: tf.Tensor5D, lengths: readonly number[], ctx: ForwardContext): tf.Tensor3D {
    const [batch, frames, height, width, channels] = video.shape;
    const all = tf.reshape(video, [batch * frames, height, width, channels]) as tf.Tensor4D;
    const validCount = lengths.reduce((a, b) => a + b, 0);
    if (validCount === batch * frames) {
      return tf.reshape(this.encodeFrames(all, ctx), [batch, frames, this.featuresPerFrame]);
    }
    const validRows: number[] = [];
    // Row of each (clip, frame) in [valid features; one zero row].
    const scatter = new Int32Array(batch * frames).fill(validCount);
    lengths.forEach((length, clip) => {
      for (let t = 0; t < length; t++) {
        scatter[clip * frames + t] = validRows.length;
        validRows.push(clip * frames + t);
      }
    });
    const features = this.encodeFrames(tf.gather(all, tf.tensor1d(validRows, 'int32')), ctx);
    const padded = tf.concat([features, tf.zeros([1, this.featuresPerFrame])], 0);
    return tf.reshape(tf.gather(padded, tf.tensor1d(scatter, 'int32')), [batch, frames, this.featuresPerFrame]);
  }
}
