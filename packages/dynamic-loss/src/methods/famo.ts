import * as tf from '@tensorflow/tfjs-core';
import { BaseStrategy } from '../base-strategy.js';
import type { MethodDefinition } from '../method-definition.js';
import { NumberAdam } from '../number-adam.js';
import { numberOption, perTaskOption } from '../options.js';
import { readNumbers, type StateData, vectorValues } from '../state-data.js';
import { stopGradient } from '../stop-gradient.js';
import type { AfterStepInfo, StrategyNeeds } from '../strategy.js';

export interface FamoOptions {
  /** Learning rate of the logits' own Adam. Default 0.025. */
  learningRate?: number;
  /** Weight decay (L2, added to the logits' gradient) of that Adam. Default 0.001. */
  gamma?: number;
  /** A lower bound of each task's loss, subtracted before the logarithm. Default 0. */
  minLosses?: readonly number[] | Readonly<Record<string, number>>;
}

/** Keeps log(L - min) finite when a loss reaches its bound, as the reference code. */
const EPSILON = 1e-8;

/**
 * FAMO, Fast Adaptive Multitask Optimization (Liu, Feng, Stone, Liu, NeurIPS 2023).
 * Rule: with z = softmax(w) and D_i = L_i - min_i + 1e-8, the network minimises
 * sum_i z_i log D_i / c, c = sum_i z_i / D_i held constant (effective weight z_i / (c D_i),
 * summing to 1); after the update, with the losses re-evaluated on the same batch,
 * w takes one Adam step along J_softmax^T delta, delta_i = log D_i(before) - log D_i(after).
 * Conventions, as the authors' code: w starts at 0; its Adam has learning rate 0.025 and
 * L2 weight decay gamma (0.001, LibMTL's and the paper's setting; the code's default is 0.01).
 * Needs `lossesAfterStep`. Options: `learningRate` = 0.025, `gamma` = 0.001, `minLosses` = 0.
 */
class FamoStrategy extends BaseStrategy {
  override readonly needs: StrategyNeeds = { taskGradients: 'none', lossesAfterStep: true };
  private logits: number[];
  private readonly optimizer: NumberAdam;
  private readonly minLosses: number[];
  /** The losses the last `combine` saw, read in `afterStep`. */
  private stepLosses: tf.Tensor1D | undefined;
  private lastWeights: tf.Tensor1D | undefined;

  constructor(tasks: readonly string[], options: Required<FamoOptions>) {
    super('famo', tasks, options);
    this.logits = tasks.map(() => 0);
    this.minLosses = [...(options.minLosses as number[])];
    this.optimizer = new NumberAdam(tasks.length, { learningRate: options.learningRate, weightDecay: options.gamma });
  }

  private taskShares(): number[] {
    const top = Math.max(...this.logits);
    const exps = this.logits.map((w) => Math.exp(w - top));
    const total = exps.reduce((a, b) => a + b, 0);
    return exps.map((e) => e / total);
  }

  protected combineVector(losses: tf.Tensor1D): tf.Scalar {
    const shares = tf.tensor1d(this.taskShares());
    const gaps = tf.add(tf.sub(losses, tf.tensor1d(this.minLosses)), EPSILON);
    const normaliser = stopGradient(tf.sum(tf.div(shares, gaps)));
    this.stepLosses?.dispose();
    this.stepLosses = tf.keep(tf.clone(losses));
    this.lastWeights?.dispose();
    this.lastWeights = tf.keep(tf.div(shares, tf.mul(normaliser, gaps)) as tf.Tensor1D);
    return tf.div(tf.sum(tf.mul(tf.log(gaps), shares)), normaliser) as tf.Scalar;
  }

  override afterStep(info?: AfterStepInfo): void {
    if (info?.lossesAfterStep === undefined) {
      throw new Error('famo.afterStep: needs lossesAfterStep, the per-task losses on the same batch after the update');
    }
    if (this.stepLosses === undefined) {
      throw new Error('famo.afterStep: no combine() since the last step; call combine with the step losses first');
    }
    const after = this.lossValues('afterStep', info.lossesAfterStep);
    const before = vectorValues(this.stepLosses);
    this.stepLosses.dispose();
    this.stepLosses = undefined;
    const decrease = before.map(
      (loss, i) =>
        Math.log(loss - (this.minLosses[i] as number) + EPSILON) -
        Math.log((after[i] as number) - (this.minLosses[i] as number) + EPSILON),
    );
    const bad = decrease.findIndex((value) => !Number.isFinite(value));
    if (bad >= 0) {
      throw new Error(`famo.afterStep: the loss of task '${this.tasks[bad]}' is not above its minLosses bound`);
    }
    const shares = this.taskShares();
    const meanDecrease = shares.reduce((sum, z, i) => sum + z * (decrease[i] as number), 0);
    const gradient = shares.map((z, j) => z * ((decrease[j] as number) - meanDecrease));
    this.logits = this.optimizer.step(this.logits, gradient);
  }

  protected weightValues(): number[] {
    return this.lastWeights ? vectorValues(this.lastWeights) : this.taskShares();
  }

  protected stateData(): StateData {
    return { logits: [...this.logits], optimizer: this.optimizer.state() };
  }

  protected restoreData(data: StateData, where: string): void {
    const logits = readNumbers(data.logits, this.tasks.length, `${where}: state.data.logits`);
    const optimizer = data.optimizer;
    if (typeof optimizer !== 'object' || optimizer === null || Array.isArray(optimizer)) {
      throw new Error(`${where}: state.data.optimizer must be an object`);
    }
    this.optimizer.restore(optimizer, where);
    this.logits = logits;
  }

  override dispose(): void {
    this.stepLosses?.dispose();
    this.lastWeights?.dispose();
    this.stepLosses = undefined;
    this.lastWeights = undefined;
  }
}

export const famoMethod: MethodDefinition<FamoOptions> = {
  name: 'famo',
  summary:
    'logits w with their own Adam; L = sum softmax(w)_i log(L_i) / c; w learns from the loss decrease after each step',
  paper: {
    title: 'FAMO: Fast Adaptive Multitask Optimization',
    authors: 'Liu, Feng, Stone, Liu',
    venue: 'NeurIPS',
    year: 2023,
    url: 'https://arxiv.org/abs/2306.03792',
  },
  options: {
    learningRate: numberOption("learning rate of the logits' own Adam", 0.025, { min: 0, exclusiveMin: true }),
    gamma: numberOption("L2 weight decay of the logits' Adam", 0.001, { min: 0 }),
    minLosses: perTaskOption('lower bound of each task loss', '0 per task', (tasks) => tasks.map(() => 0)),
  },
  create: (tasks, options) => new FamoStrategy(tasks, options as Required<FamoOptions>),
};
