import type * as tf from '@tensorflow/tfjs-core';
import type { CnnVideoConfig } from '../config.js';
import type { ForwardContext } from '../forward-context.js';
import { ConvBatchNorm, stridedPadding } from '../layers/conv-batch-norm.js';
import { globalAveragePool2d, maxPool2d } from '../layers/pooling.js';
import { ResidualBlock } from '../layers/residual-block.js';
import type { Scope } from '../variable-store.js';
import { encodeValidFrames } from './valid-frames.js';

/**
 * The per-frame image branch: a ResNet (stem, stages of residual blocks, global average
 * pool) applied to every valid frame. ResNet-50 in the paper preset, trained from scratch.
 * The `cnn` encoder; see FrozenFaceEncoder for the pretrained ones.
 */
export class VideoNet {
  readonly stem: ConvBatchNorm;
  readonly blocks: ResidualBlock[];
  readonly featuresPerFrame: number;

  constructor(
    scope: Scope,
    private readonly config: CnnVideoConfig,
  ) {
    const unit = { stridePadding: config.stridePadding, runningVariance: config.runningVariance };
    this.stem = new ConvBatchNorm(scope.child('stem'), config.channels, {
      ...unit,
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
          unit,
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
    if (this.config.stem.maxPool) x = maxPool2d(x, 3, 2, stridedPadding(3, 2, this.config.stridePadding));
    for (const block of this.blocks) x = block.apply(x, ctx);
    return globalAveragePool2d(x);
  }

  /** video [batch, frames, size, size, channels] -> [batch, frames, featuresPerFrame], valid frames only. */
  apply(video: tf.Tensor5D, lengths: readonly number[], ctx: ForwardContext): tf.Tensor3D {
    return encodeValidFrames(video, lengths, this.featuresPerFrame, (images) => this.encodeFrames(images, ctx));
  }
}
