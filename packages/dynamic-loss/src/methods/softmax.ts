import * as tf from '@tensorflow/tfjs-core';
import { BaseStrategy } from '../base-strategy.js';
import type { MethodDefinition } from '../method-definition.js';
import { assignValues, readNumbers, type StateData, vectorValues, vectorVariable } from '../state-data.js';

/** The paper's method takes no options. */
export type SoftmaxOptions = Record<never, never>;

/**
 * Dynamic weights of joint loss, the paper's method (Chae et al. 2018).
 * Rule: L = sum_i softmax(w)_i L_i, with one learnable logit w_i per task, initialised to
 * 0 and trained by the host's optimiser together with the network, as in the authors'
 * PyTorch reference. No options. Nothing regularises w, so the weights drift toward the
 * task whose loss is lower: d L / d w_j = s_j (L_j - sum_i s_i L_i).
 */
class SoftmaxStrategy extends BaseStrategy {
  private readonly logits: tf.Variable<tf.Rank.R1>;
  override readonly trainableVariables: readonly tf.Variable[];

  constructor(tasks: readonly string[]) {
    super('softmax', tasks, {});
    this.logits = vectorVariable(tasks.map(() => 0));
    this.trainableVariables = [this.logits];
  }

  protected combineVector(losses: tf.Tensor1D): tf.Scalar {
    return tf.sum(tf.mul(tf.softmax(this.logits), losses)) as tf.Scalar;
  }

  protected weightValues(): number[] {
    return tf.tidy(() => vectorValues(tf.softmax(this.logits)));
  }

  protected stateData(): StateData {
    return { logits: vectorValues(this.logits) };
  }

  protected restoreData(data: StateData, where: string): void {
    assignValues(this.logits, readNumbers(data.logits, this.tasks.length, `${where}: state.data.logits`));
  }

  override dispose(): void {
    this.logits.dispose();
  }
}

export const softmaxMethod: MethodDefinition<SoftmaxOptions> = {
  name: 'softmax',
  summary: 'learnable logits w (init 0); L = sum softmax(w)_i L_i, trained by the host optimiser',
  paper: {
    title: 'End-to-end Multimodal Emotion and Gender Recognition with Dynamic Weights of Joint Loss',
    authors: 'Chae, Kim, Shin, Kim, Lee',
    venue: 'IROS 2018 workshop',
    year: 2018,
    url: 'https://arxiv.org/abs/1809.00758',
  },
  options: {},
  create: (tasks) => new SoftmaxStrategy(tasks),
};
