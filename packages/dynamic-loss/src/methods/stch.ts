import * as tf from '@tensorflow/tfjs-core';
import { BaseStrategy } from '../base-strategy.js';
import { EpochWatch } from '../epoch-watch.js';
import type { MethodDefinition } from '../method-definition.js';
import { numberOption } from '../options.js';
import { readNumbers, type StateData, vectorValues } from '../state-data.js';
import type { StrategyNeeds, TaskLossValues } from '../strategy.js';

export interface StchOptions {
  /** Smoothing mu of the Tchebycheff maximum. Default 1. */
  mu?: number;
  /** Epochs trained on sum log L_i before STCH starts; the last one's mean losses are the nadir point. Default 5. */
  warmupEpochs?: number;
}

/** Keeps the logarithm finite at a zero loss, as the reference code. */
const TINY = 1e-20;

/**
 * Smooth Tchebycheff scalarisation (Lin, Zhang, Yang, Liu, Wang, Zhang, ICML 2024), in
 * the authors' multi-task form (their LibMTL code).
 * Rule: after warm-up, L = K mu log sum_i exp(log(L_i / n_i) / mu), a smooth maximum of
 * the log losses normalised by the nadir point n; during warm-up L = sum_i log L_i, and
 * n is the mean training loss of the last warm-up epoch (from `endEpoch`).
 * Effective weights: K softmax(u / mu)_i / L_i (1 / L_i in warm-up).
 * Options: `mu` = 1; `warmupEpochs` = 5 (LibMTL's STCH_warmup_epoch = 4 counts the epoch
 * that measures the nadir point separately: the same schedule).
 */
class StchStrategy extends BaseStrategy {
  override readonly needs: StrategyNeeds = { taskGradients: 'none', lossesAfterStep: false, endEpoch: true };
  protected override readonly epochWatch = new EpochWatch('stch');
  private readonly mu: number;
  private readonly warmupEpochs: number;
  private epochsDone = 0;
  private nadir: number[] | undefined;
  private lastWeights: tf.Tensor1D | undefined;

  constructor(tasks: readonly string[], options: Required<StchOptions>) {
    super('stch', tasks, options);
    this.mu = options.mu;
    this.warmupEpochs = options.warmupEpochs;
  }

  protected combineVector(losses: tf.Tensor1D): tf.Scalar {
    const count = this.tasks.length;
    let combined: tf.Scalar;
    let weights: tf.Tensor1D;
    if (this.nadir === undefined) {
      const shifted = tf.add(losses, TINY);
      combined = tf.sum(tf.log(shifted)) as tf.Scalar;
      weights = tf.reciprocal(shifted) as tf.Tensor1D;
    } else {
      const nadir = tf.tensor1d(this.nadir);
      const scaled = tf.div(tf.log(tf.add(tf.div(losses, nadir), TINY)), this.mu);
      combined = tf.mul(tf.logSumExp(scaled), count * this.mu) as tf.Scalar;
      weights = tf.div(tf.mul(tf.softmax(scaled), count), tf.add(losses, tf.mul(nadir, TINY))) as tf.Tensor1D;
    }
    this.lastWeights?.dispose();
    this.lastWeights = tf.keep(weights);
    return combined;
  }

  override endEpoch(meanLosses: TaskLossValues): void {
    const values = this.lossValues('endEpoch', meanLosses);
    this.epochWatch.epoch();
    this.epochsDone += 1;
    if (this.epochsDone === this.warmupEpochs) {
      const bad = values.findIndex((value) => value <= 0);
      if (bad >= 0) {
        throw new Error(`stch.endEpoch: the nadir loss of task '${this.tasks[bad]}' must be > 0, got ${values[bad]}`);
      }
      this.nadir = values;
    }
  }

  protected weightValues(): number[] {
    return this.lastWeights ? vectorValues(this.lastWeights) : this.tasks.map(() => 1);
  }

  protected stateData(): StateData {
    return { epochsDone: this.epochsDone, nadir: this.nadir ? [...this.nadir] : null };
  }

  protected restoreData(data: StateData, where: string): void {
    const epochsDone = data.epochsDone;
    if (typeof epochsDone !== 'number' || !Number.isInteger(epochsDone) || epochsDone < 0) {
      throw new Error(
        `${where}: state.data.epochsDone must be a non-negative integer, got ${JSON.stringify(epochsDone)}`,
      );
    }
    this.nadir =
      data.nadir === null ? undefined : readNumbers(data.nadir, this.tasks.length, `${where}: state.data.nadir`);
    this.epochsDone = epochsDone;
    if (epochsDone > 0) this.epochWatch.epoch();
  }

  override dispose(): void {
    this.lastWeights?.dispose();
    this.lastWeights = undefined;
  }
}

export const stchMethod: MethodDefinition<StchOptions> = {
  name: 'stch',
  summary: 'smooth Tchebycheff: K mu logsumexp(log(L_i / nadir_i) / mu) after sum log L_i warm-up epochs',
  paper: {
    title: 'Smooth Tchebycheff Scalarization for Multi-Objective Optimization',
    authors: 'Lin, Zhang, Yang, Liu, Wang, Zhang',
    venue: 'ICML',
    year: 2024,
    url: 'https://arxiv.org/abs/2402.19078',
  },
  options: {
    mu: numberOption('smoothing mu', 1, { min: 0, exclusiveMin: true }),
    warmupEpochs: numberOption('epochs of sum log L before STCH; the last gives the nadir point', 5, {
      min: 1,
      integer: true,
    }),
  },
  create: (tasks, options) => new StchStrategy(tasks, options as Required<StchOptions>),
};
