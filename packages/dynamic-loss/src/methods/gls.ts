import * as tf from '@tensorflow/tfjs-core';
import { BaseStrategy } from '../base-strategy.js';
import type { MethodDefinition } from '../method-definition.js';
import { type StateData, vectorValues } from '../state-data.js';

/** GLS takes no options. */
export type GlsOptions = Record<never, never>;

/**
 * Geometric Loss Strategy (Chennupati, Sistu, Yogamani, Rawashdeh, CVPR workshops 2019,
 * "MultiNet++").
 * Rule: L = (prod_i L_i)^(1/K), computed as exp(mean_i log L_i); every loss must be > 0.
 * Its effective weight on task i is d L / d L_i = L / (K L_i), which `weights()` reports
 * for the losses of the last `combine` (1/K before the first). No options.
 */
class GlsStrategy extends BaseStrategy {
  private lastWeights: tf.Tensor1D | undefined;

  constructor(tasks: readonly string[]) {
    super('gls', tasks, {});
  }

  protected combineVector(losses: tf.Tensor1D): tf.Scalar {
    const geometricMean = tf.exp(tf.mean(tf.log(losses))) as tf.Scalar;
    this.lastWeights?.dispose();
    this.lastWeights = tf.keep(tf.div(geometricMean, tf.mul(losses, this.tasks.length)) as tf.Tensor1D);
    return geometricMean;
  }

  protected weightValues(): number[] {
    return this.lastWeights ? vectorValues(this.lastWeights) : this.tasks.map(() => 1 / this.tasks.length);
  }

  protected stateData(): StateData {
    return {};
  }

  protected restoreData(): void {}

  override dispose(): void {
    this.lastWeights?.dispose();
    this.lastWeights = undefined;
  }
}

export const glsMethod: MethodDefinition<GlsOptions> = {
  name: 'gls',
  summary: 'geometric mean of the losses, (prod L_i)^(1/K); effective weights L / (K L_i)',
  paper: {
    title: 'MultiNet++: Multi-Stream Feature Aggregation and Geometric Loss Strategy for Multi-Task Learning',
    authors: 'Chennupati, Sistu, Yogamani, Rawashdeh',
    venue: 'CVPR workshops',
    year: 2019,
    url: 'https://arxiv.org/abs/1904.08492',
  },
  options: {},
  create: (tasks) => new GlsStrategy(tasks),
};
