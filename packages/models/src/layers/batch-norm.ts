import { batchNormTrain, hasBatchNormTrain } from '@mtl/backend';
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext } from '../forward-context.js';
import { constant, zeros } from '../initializers.js';
import type { Scope } from '../variable-store.js';

export interface BatchNormOptions {
  /** Weight of the old moving average in each update. Default 0.9. */
  momentum?: number;
  epsilon?: number;
  /** Update the moving variance with the unbiased batch variance (n / (n - 1)), as PyTorch does. Default false. */
  unbiasedRunningVariance?: boolean;
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
  private readonly unbiased: boolean;

  constructor(scope: Scope, channels: number, options: BatchNormOptions = {}) {
    this.gamma = scope.variable('gamma', [channels], constant(1));
    this.beta = scope.variable('beta', [channels], zeros());
    this.movingMean = scope.variable('movingMean', [channels], zeros(), false);
    this.movingVariance = scope.variable('movingVariance', [channels], constant(1), false);
    this.momentum = options.momentum ?? 0.9;
    this.epsilon = options.epsilon ?? 1e-5;
    this.unbiased = options.unbiasedRunningVariance ?? false;
  }

  /** Normalises x, then applies ReLU when `relu` (fused into one kernel in training where the backend has it). */
  apply(x: tf.Tensor, ctx: ForwardContext, relu = false): tf.Tensor {
    if (!ctx.training) {
      const y = tf.batchNorm(x, this.movingMean, this.movingVariance, this.beta, this.gamma, this.epsilon);
      return relu ? tf.relu(y) : y;
    }
    if (hasBatchNormTrain()) {
      const { y, mean, variance } = batchNormTrain(x, this.gamma as tf.Tensor1D, this.beta as tf.Tensor1D, {
        epsilon: this.epsilon,
        relu,
      });
      this.updateMovingAverages(x, mean, variance, ctx);
      tf.dispose([mean, variance]);
      return y;
    }
    const axes = x.shape.map((_, i) => i).slice(0, -1);
    const { mean, variance } = tf.moments(x, axes);
    this.updateMovingAverages(x, mean, variance, ctx);
    // Written with broadcasting ops: the gradient of tf.batchNorm tiles full-size tensors, which is slow on wasm.
    const scale = tf.mul(this.gamma, tf.rsqrt(tf.add(variance, this.epsilon)));
    const y = tf.add(tf.mul(tf.sub(x, mean), scale), this.beta);
    return relu ? tf.relu(y) : y;
  }

  private updateMovingAverages(x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, ctx: ForwardContext): void {
    // A recomputed pass already updated them the first time.
    if (ctx.recomputing) return;
    // Not part of the loss, so the tape prunes these ops from any gradient.
    tf.tidy(() => {
      const keep = this.momentum;
      const n = x.size / x.shape[x.rank - 1]!;
      const running = this.unbiased && n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
      this.movingMean.assign(tf.add(tf.mul(this.movingMean, keep), tf.mul(mean, 1 - keep)));
      this.movingVariance.assign(tf.add(tf.mul(this.movingVariance, keep), tf.mul(running, 1 - keep)));
    });
  }
}
