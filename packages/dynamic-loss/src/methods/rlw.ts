import * as tf from '@tensorflow/tfjs-core';
import { BaseStrategy } from '../base-strategy.js';
import type { MethodDefinition } from '../method-definition.js';
import { choiceOption, numberOption } from '../options.js';
import { SeededRandom } from '../random.js';
import { readNumbers, readRandomState, type StateData } from '../state-data.js';

export type RlwDistribution = 'normal' | 'dirichlet';

export interface RlwOptions {
  /** Seed of the weight sampler. Default 0. */
  seed?: number;
  /** `normal` (default): softmax of standard normal draws; `dirichlet`: uniform on the simplex. */
  distribution?: RlwDistribution;
}

/**
 * Random Loss Weighting (Lin, Ye, Zhang, Tsang, TMLR 2022, "Reasonable Effectiveness of
 * Random Weighting").
 * Rule: L = sum_i lambda_i L_i with fresh random weights on the simplex each step, drawn
 * in `beforeStep` (weights sum to 1; uniform 1/K until the first draw).
 * Options: `seed` = 0; `distribution` = `normal`, lambda = softmax(z), z ~ N(0, I), as
 * LibMTL and the paper's default, or `dirichlet`, lambda ~ Dir(1, ..., 1).
 */
class RlwStrategy extends BaseStrategy {
  private readonly random: SeededRandom;
  private current: number[];
  private readonly distribution: RlwDistribution;

  constructor(tasks: readonly string[], options: Required<RlwOptions>) {
    super('rlw', tasks, options);
    this.random = new SeededRandom(options.seed);
    this.distribution = options.distribution;
    this.current = tasks.map(() => 1 / tasks.length);
  }

  override beforeStep(): void {
    const draws =
      this.distribution === 'normal'
        ? this.tasks.map(() => Math.exp(this.random.normal()))
        : this.tasks.map(() => -Math.log(this.random.uniform()));
    const total = draws.reduce((a, b) => a + b, 0);
    this.current = draws.map((draw) => draw / total);
  }

  protected combineVector(losses: tf.Tensor1D): tf.Scalar {
    return tf.sum(tf.mul(losses, tf.tensor1d(this.current))) as tf.Scalar;
  }

  protected weightValues(): number[] {
    return [...this.current];
  }

  protected stateData(): StateData {
    return { randomState: this.random.state, weights: [...this.current] };
  }

  protected restoreData(data: StateData, where: string): void {
    const position = readRandomState(data.randomState, where);
    this.current = readNumbers(data.weights, this.tasks.length, `${where}: state.data.weights`);
    this.random.state = position;
  }
}

export const rlwMethod: MethodDefinition<RlwOptions> = {
  name: 'rlw',
  summary: 'random weights on the simplex each step: softmax of N(0, I) draws (or Dirichlet(1)), seeded',
  paper: {
    title: 'Reasonable Effectiveness of Random Weighting: A Litmus Test for Multi-Task Learning',
    authors: 'Lin, Ye, Zhang, Tsang',
    venue: 'TMLR',
    year: 2022,
    url: 'https://arxiv.org/abs/2111.10603',
  },
  options: {
    seed: numberOption('seed of the weight sampler', 0, { min: 0, max: 0xffffffff, integer: true }),
    distribution: choiceOption('normal: softmax(z), z ~ N(0, I); dirichlet: Dir(1, ..., 1)', 'normal', [
      'normal',
      'dirichlet',
    ]),
  },
  create: (tasks, options) => new RlwStrategy(tasks, options as Required<RlwOptions>),
};
