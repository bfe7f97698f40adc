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
    if (ctx.training) return this.encodeRecomputed(images, chunk, ctx);
    return tf.concat(
      chunkStarts(images.shape[0], chunk).map((start) =>
        tf.tidy(() => this.encodeChunk(sliceRows(images, start, chunk), ctx)),
      ),
    );
  }

  /**
   * The chunks' features, with no chunk's intermediate activations kept for the gradient:
   * the backward pass runs each chunk forward again (same inputs, same weights, batch
   * norm's moving averages left alone), backpropagates its rows of the features' gradient
   * into the weights, and adds that up over the chunks. One custom-gradient op for all
   * chunks, so the engine receives one summed weight gradient, not one per chunk (it
   * would keep each of those, the ResNet's size, until the whole backward pass ends).
   */
  private encodeRecomputed(images: tf.Tensor4D, chunk: number, ctx: ForwardContext): tf.Tensor2D {
    const variables = this.scope.trainableVariables();
    const starts = chunkStarts(images.shape[0], chunk);
    const encode = tf.customGrad((...args: unknown[]) => {
      const save = args[args.length - 1] as tf.GradSaveFunc;
      // customGrad's forward is not recorded on the tape: nothing inside it is kept.
      save([images]);
      return {
        // One tidy a chunk: the forward's intermediates are freed chunk by chunk, not at the end.
        value: tf.concat(starts.map((start) => tf.tidy(() => this.encodeChunk(sliceRows(images, start, chunk), ctx)))),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const input = saved[0] as tf.Tensor4D;
          const recomputed = { ...ctx, recomputing: true };
          let totals: tf.Tensor[] | undefined;
          for (const start of starts) {
            const next = tf.tidy(() => {
              const rows = sliceRows(input, start, chunk);
              const dyRows = tf.slice(dy, [start, 0], [rows.shape[0], dy.shape[1]!]);
              const { value, grads } = nestedVariableGrads(
                () => tf.sum(tf.mul(this.encodeChunk(rows, recomputed), dyRows)) as tf.Scalar,
                variables,
              );
              value.dispose();
              return variables.map((variable, i) => {
                const grad = grads[variable.name] ?? tf.zerosLike(variable);
                return totals === undefined ? grad : tf.add(totals[i]!, grad);
              });
            });
            tf.dispose(totals);
            totals = next;
          }
          return totals!;
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

/** The first row of each chunk of `chunk` rows out of `n`. */
function chunkStarts(n: number, chunk: number): number[] {
  return Array.from({ length: Math.ceil(n / chunk) }, (_, i) => i * chunk);
}

/** Rows [start, start + chunk) of images (fewer at the end). */
function sliceRows(images: tf.Tensor4D, start: number, chunk: number): tf.Tensor4D {
  const [n, height, width, channels] = images.shape;
  return tf.slice(images, [start, 0, 0, 0], [Math.min(chunk, n - start), height, width, channels]);
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
