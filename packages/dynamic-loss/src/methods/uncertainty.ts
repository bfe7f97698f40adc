import * as tf from '@tensorflow/tfjs-core';
import { BaseStrategy } from '../base-strategy.js';
import type { MethodDefinition } from '../method-definition.js';
import { choiceOption, numberOption } from '../options.js';
import { assignValues, readNumbers, type StateData, vectorValues, vectorVariable } from '../state-data.js';

export type UncertaintyForm = 'regression' | 'classification';

export interface UncertaintyOptions {
  /** `regression` (default): 1/2 e^-s L + s/2; `classification`: e^-s L + s/2. */
  form?: UncertaintyForm;
  /** Initial log-variance s of every task. Default 0. */
  initialLogVariance?: number;
}

/**
 * Uncertainty weighting (Kendall, Gal, Cipolla, CVPR 2018), log-variance parametrisation
 * s_i = log sigma_i^2, learnt by the host's optimiser.
 * Rule (`form: 'regression'`, the default, as LibMTL and Kendall's Gaussian likelihood):
 * L = sum_i 1/2 e^-s_i L_i + s_i / 2; weight 1/2 e^-s_i; for a constant loss the optimum
 * is s_i = log L_i.
 * Rule (`form: 'classification'`, Kendall's scaled-softmax form 1/sigma^2 L + log sigma):
 * L = sum_i e^-s_i L_i + s_i / 2; weight e^-s_i; optimum s_i = log 2 L_i.
 * Either way the weight at the optimum is 1 / (2 L_i).
 */
class UncertaintyStrategy extends BaseStrategy {
  private readonly logVariances: tf.Variable<tf.Rank.R1>;
  override readonly trainableVariables: readonly tf.Variable[];
  /** The factor on e^-s: 1/2 for the regression form, 1 for the classification form. */
  private readonly scale: number;

  constructor(tasks: readonly string[], options: Required<UncertaintyOptions>) {
    super('uncertainty', tasks, options);
    this.scale = options.form === 'regression' ? 0.5 : 1;
    this.logVariances = vectorVariable(tasks.map(() => options.initialLogVariance));
    this.trainableVariables = [this.logVariances];
  }

  protected combineVector(losses: tf.Tensor1D): tf.Scalar {
    const precision = tf.mul(tf.exp(tf.neg(this.logVariances)), this.scale);
    return tf.sum(tf.add(tf.mul(precision, losses), tf.mul(this.logVariances, 0.5))) as tf.Scalar;
  }

  protected weightValues(): number[] {
    return vectorValues(this.logVariances).map((s) => this.scale * Math.exp(-s));
  }

  protected stateData(): StateData {
    return { logVariances: vectorValues(this.logVariances) };
  }

  protected restoreData(data: StateData, where: string): void {
    assignValues(
      this.logVariances,
      readNumbers(data.logVariances, this.tasks.length, `${where}: state.data.logVariances`),
    );
  }

  override dispose(): void {
    this.logVariances.dispose();
  }
}

export const uncertaintyMethod: MethodDefinition<UncertaintyOptions> = {
  name: 'uncertainty',
  summary:
    'learnable log-variances s (init 0); L = sum c e^-s_i L_i + s_i/2, c = 1/2 (regression) or 1 (classification)',
  paper: {
    title: 'Multi-Task Learning Using Uncertainty to Weigh Losses for Scene Geometry and Semantics',
    authors: 'Kendall, Gal, Cipolla',
    venue: 'CVPR',
    year: 2018,
    url: 'https://arxiv.org/abs/1705.07115',
  },
  options: {
    form: choiceOption('regression: 1/2 e^-s L + s/2 (LibMTL); classification: e^-s L + s/2', 'regression', [
      'regression',
      'classification',
    ]),
    initialLogVariance: numberOption('initial log-variance s of every task', 0),
  },
  create: (tasks, options) => new UncertaintyStrategy(tasks, options as Required<UncertaintyOptions>),
};
