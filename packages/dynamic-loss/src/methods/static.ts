import * as tf from '@tensorflow/tfjs-core';
import { BaseStrategy } from '../base-strategy.js';
import type { MethodDefinition } from '../method-definition.js';
import { perTaskOption, taskOption } from '../options.js';
import type { StateData } from '../state-data.js';

export interface StaticOptions {
  /** One fixed weight per task (array in task order or map by name). */
  weights?: readonly number[] | Readonly<Record<string, number>>;
  /** Train this task alone: weight 1 for it, 0 for the others. */
  only?: string;
}

/**
 * Static weights, the paper's baseline (Chae et al. 2018).
 * Rule: L = sum_i w_i L_i with fixed w.
 * Options: `weights` (default uniform 1/T, the paper's 1/2 each for two tasks) or `only`
 * (one-hot, single-task training); not both.
 */
class StaticStrategy extends BaseStrategy {
  constructor(
    tasks: readonly string[],
    options: StaticOptions,
    private readonly fixedWeights: readonly number[],
  ) {
    super('static', tasks, options);
  }

  protected combineVector(losses: tf.Tensor1D): tf.Scalar {
    return tf.sum(tf.mul(losses, tf.tensor1d(this.fixedWeights as number[]))) as tf.Scalar;
  }

  protected weightValues(): number[] {
    return [...this.fixedWeights];
  }

  protected stateData(): StateData {
    return {};
  }

  protected restoreData(): void {}
}

export const staticMethod: MethodDefinition<StaticOptions> = {
  name: 'static',
  summary: 'fixed weights: uniform 1/T, given per task, or one-hot for a single task',
  paper: {
    title: 'End-to-end Multimodal Emotion and Gender Recognition with Dynamic Weights of Joint Loss',
    authors: 'Chae, Kim, Shin, Kim, Lee',
    venue: 'IROS 2018 workshop',
    year: 2018,
    url: 'https://arxiv.org/abs/1809.00758',
  },
  options: {
    weights: perTaskOption('one fixed weight per task, >= 0, not all 0', 'uniform 1/T', () => undefined, { min: 0 }),
    only: taskOption('train only this task (one-hot weights)'),
  },
  create(tasks, options) {
    let weights: number[];
    if (options.weights !== undefined && options.only !== undefined) {
      throw new Error(`createStrategy('static'): give either option 'weights' or option 'only', not both`);
    }
    if (options.only !== undefined) {
      weights = tasks.map((task) => (task === options.only ? 1 : 0));
    } else if (options.weights !== undefined) {
      weights = [...(options.weights as number[])];
      if (weights.every((w) => w === 0)) {
        throw new Error(`createStrategy('static'): option 'weights' must not be all 0`);
      }
    } else {
      weights = tasks.map(() => 1 / tasks.length);
    }
    return new StaticStrategy(tasks, options, weights);
  },
};
