import { batchNormTraining } from '@mtl/backend';
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext } from '../forward-context.js';
import { constant, zeros } from '../initializers.js';
import type { Scope } from '../variable-store.js';

export interface BatchNormOptions {
  /** Weight of the old moving average in each update. Default 0.9. */
  momentum?: number;
  epsilon?: number;
}

/**
 * Batch normalisation over the last axis. Training uses the batch's statistics and
 * updates the moving averages (saved, not trained); inference uses the moving averages.
 */
export class BatchNorm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly movingMean: tf.Variable;
  readonly movingVariance: tf.Variable;
  private readonly momentum: number;
  private readonly epsilon: number;

  constructor(scope: Scope, channels: number, options: BatchNormOptions = {}) {
    this.gamma = scope.variable('gamma', [channels], constant(1));
    this.beta = scope.variable('beta', [channels], zeros());
    this.movingMean = scope.variable('movingMean', [channels], zeros(), false);
    this.movingVariance = scope.variable('movingVariance', [channels], constant(1), false);
    this.momentum = options.momentum ?? 0.9;
    this.epsilon = options.epsilon ?? 1e-5;
  }

  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    if (!ctx.training) {
      return tf.batchNorm(x, this.movingMean, this.movingVariance, this.beta, this.gamma, this.epsilon);
    }
    // One fused kernel with its own gradient where the backend has it (wasm, cpu).
    const { y, mean, variance } = batchNormTraining(x, this.gamma, this.beta, this.epsilon);
    // Not part of the loss, so the tape prunes these ops from any gradient.
    tf.tidy(() => {
      const keep = this.momentum;
      this.movingMean.assign(tf.add(tf.mul(this.movingMean, keep), tf.mul(mean, 1 - keep)));
      this.movingVariance.assign(tf.add(tf.mul(this.movingVariance, keep), tf.mul(variance, 1 - keep)));
    });
    return y;
  }
}
