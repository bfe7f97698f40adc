import * as tf from '@tensorflow/tfjs-core';
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
    private readonly scope: Scope,
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

  /**
   * A batch of images [n, size, size, channels] -> features [n, featuresPerFrame], at most
   * `framesPerChunk` images at a time (see CnnVideoConfig).
   */
  encodeFrames(images: tf.Tensor4D, ctx: ForwardContext): tf.Tensor2D {
    const chunk = this.config.framesPerChunk ?? images.shape[0];
    if (images.shape[0] <= chunk) return this.encodeChunk(images, ctx);
    const [n, height, width, channels] = images.shape;
    const features: tf.Tensor2D[] = [];
    for (let start = 0; start < n; start += chunk) {
      const part = tf.slice(images, [start, 0, 0, 0], [Math.min(chunk, n - start), height, width, channels]);
      features.push(ctx.training ? this.encodeRecomputed(part, ctx) : this.encodeChunk(part, ctx));
    }
    return tf.concat(features, 0);
  }

  /**
   * encodeChunk whose intermediate activations are not kept for the gradient: the backward
   * pass runs the chunk forward again (same inputs, same weights, batch norm's moving
   * averages left alone) and backpropagates its features' gradient into the weights.
   */
  private encodeRecomputed(images: tf.Tensor4D, ctx: ForwardContext): tf.Tensor2D {
    const variables = this.scope.trainableVariables();
    const encode = tf.customGrad((...args: unknown[]) => {
      const save = args[args.length - 1] as tf.GradSaveFunc;
      // customGrad's forward is not recorded on the tape: nothing inside it is kept.
      save([images]);
      return {
        value: this.encodeChunk(images, ctx),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const input = saved[0] as tf.Tensor4D;
          const recomputed = { ...ctx, recomputing: true };
          const { value, grads } = nestedVariableGrads(
            () => tf.sum(tf.mul(this.encodeChunk(input, recomputed), dy)) as tf.Scalar,
            variables,
          );
          value.dispose();
          return variables.map((variable) => grads[variable.name] ?? tf.zerosLike(variable));
        },
      };
    });
    return encode(...variables) as tf.Tensor2D;
  }

  private encodeChunk(images: tf.Tensor4D, ctx: ForwardContext): tf.Tensor2D {
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

/**
 * tf.variableGrads from inside a gradient function. tfjs's engine keeps one active tape:
 * a gradient computed while the outer backward pass runs would replace it, and clear it
 * when done, so the outer pass could neither finish nor free what its tape saved. The
 * outer tape is put back afterwards.
 */
function nestedVariableGrads(f: () => tf.Scalar, variables: tf.Variable[]) {
  const state = tf.engine().state;
  const outerTape = state.activeTape;
  try {
    return tf.variableGrads(f, variables);
  } finally {
    state.activeTape = outerTape;
  }
}
