import * as tf from '@tensorflow/tfjs-core';
import { BaseStrategy } from '../base-strategy.js';
import type { MethodDefinition, PaperReference } from '../method-definition.js';
import { assignValues, readNumbers, type StateData, vectorValues, vectorVariable } from '../state-data.js';

/** IMTL-L takes no options. */
export type ImtlLOptions = Record<never, never>;

/**
 * IMTL-L, the loss-balancing half of Impartial Multi-Task Learning (Liu et al., ICLR 2021).
 * Rule: L = sum_i e^s_i L_i - s_i, one learnable scale s_i per task (init 0), trained by
 * the host's optimiser, as LibMTL's IMTL loss scale. Weight e^s_i; for a constant loss
 * the optimum is s_i = -log L_i, so every scaled loss e^s_i L_i tends to 1. No options.
 * The gradient half (IMTL-G) belongs with the gradient-based methods.
 */
class ImtlLStrategy extends BaseStrategy {
  private readonly scales: tf.Variable<tf.Rank.R1>;
  override readonly trainableVariables: readonly tf.Variable[];

  constructor(tasks: readonly string[]) {
    super('imtl-l', tasks, {});
    this.scales = vectorVariable(tasks.map(() => 0));
    this.trainableVariables = [this.scales];
  }

  protected combineVector(losses: tf.Tensor1D): tf.Scalar {
    return tf.sum(tf.sub(tf.mul(tf.exp(this.scales), losses), this.scales)) as tf.Scalar;
  }

  protected weightValues(): number[] {
    return vectorValues(this.scales).map(Math.exp);
  }

  protected stateData(): StateData {
    return { scales: vectorValues(this.scales) };
  }

  protected restoreData(data: StateData, where: string): void {
    assignValues(this.scales, readNumbers(data.scales, this.tasks.length, `${where}: state.data.scales`));
  }

  override dispose(): void {
    this.scales.dispose();
  }
}

/** IMTL-L (loss scales) and IMTL-G (gradient projections) come from one paper. */
export const IMTL_PAPER: PaperReference = {
  title: 'Towards Impartial Multi-task Learning',
  authors: 'Liu, Li, Kuang, Xue, Chen, Yang, Liao, Zhang',
  venue: 'ICLR',
  year: 2021,
  url: 'https://openreview.net/forum?id=IMPnRXEWpvr',
};

export const imtlLMethod: MethodDefinition<ImtlLOptions> = {
  name: 'imtl-l',
  summary: 'learnable scales s (init 0); L = sum e^s_i L_i - s_i, trained by the host optimiser',
  paper: IMTL_PAPER,
  options: {},
  create: (tasks) => new ImtlLStrategy(tasks),
};
