import * as tf from '@tensorflow/tfjs-core';
import { BaseStrategy } from '../base-strategy.js';
import type { MethodDefinition } from '../method-definition.js';
import { NumberAdam } from '../number-adam.js';
import { numberOption } from '../options.js';
import { readNumbers, type StateData } from '../state-data.js';
import type { StrategyNeeds, TaskGradients } from '../strategy.js';

export interface GradNormOptions {
  /** Asymmetry alpha: how strongly slower-training tasks are pulled up. Default 1.5. */
  alpha?: number;
  /** Learning rate of the weights' own Adam. Default 0.025. */
  learningRate?: number;
}

/**
 * The smallest weight a task keeps: a step may push a weight below 0, which would turn its
 * loss into a reward, and renormalising cannot undo a sign.
 */
const MIN_WEIGHT = 1e-4;

/**
 * GradNorm (Chen, Badrinarayanan, Lee, Rabinovich, ICML 2018).
 * Rule: with G_i = w_i ||d L_i / d W|| over the last shared layer W, r_i the inverse
 * training rate (L_i / L_i(0)) / mean_j (L_j / L_j(0)), minimise
 * L_grad = sum_i |G_i - mean(G) r_i^alpha| over w (the target held constant), then
 * renormalise w to sum to K (the number of tasks). The network minimises sum_i w_i L_i.
 * Conventions, as the paper: w starts at 1; L_i(0) is the loss of the first step; w
 * follows its own Adam (learning rate 0.025) rather than the host's optimiser, because
 * its gradient is that of L_grad, not of the combined loss; weights are kept >= 1e-4.
 * Needs per-task gradients of the last shared layer (`needs.taskGradients`).
 * Options: `alpha` = 1.5, `learningRate` = 0.025.
 */
class GradNormStrategy extends BaseStrategy {
  override readonly needs: StrategyNeeds = { taskGradients: 'last-shared-layer', lossesAfterStep: false };
  private current: number[];
  private initialLosses: number[] | undefined;
  /** d L_grad / d w from this step's task gradients, applied in `afterStep`. */
  private pendingGradient: number[] | undefined;
  private readonly optimizer: NumberAdam;
  private readonly alpha: number;

  constructor(tasks: readonly string[], options: Required<GradNormOptions>) {
    super('gradnorm', tasks, options);
    this.alpha = options.alpha;
    this.current = tasks.map(() => 1);
    this.optimizer = new NumberAdam(tasks.length, { learningRate: options.learningRate });
  }

  protected combineVector(losses: tf.Tensor1D): tf.Scalar {
    return tf.sum(tf.mul(losses, tf.tensor1d(this.current))) as tf.Scalar;
  }

  override useTaskGradients(taskGradients: TaskGradients): tf.NamedTensorMap {
    const { losses, norms } = readTaskGradients(this.tasks, taskGradients);
    const bad = losses.findIndex((loss) => !(loss > 0 && Number.isFinite(loss)));
    if (bad >= 0)
      throw new Error(
        `gradnorm.useTaskGradients: the loss of task '${this.tasks[bad]}' must be > 0, got ${losses[bad]}`,
      );
    this.initialLosses ??= losses;
    const initial = this.initialLosses;
    const trainingRates = losses.map((loss, i) => loss / (initial[i] as number));
    const meanRate = mean(trainingRates);
    const weightedNorms = norms.map((norm, i) => (this.current[i] as number) * norm);
    const meanNorm = mean(weightedNorms);
    this.pendingGradient = weightedNorms.map((g, i) => {
      const target = meanNorm * ((trainingRates[i] as number) / meanRate) ** this.alpha;
      return Math.sign(g - target) * (norms[i] as number);
    });
    return {};
  }

  override afterStep(): void {
    if (this.pendingGradient === undefined) {
      throw new Error('gradnorm.afterStep: no task gradients this step; call useTaskGradients before afterStep');
    }
    const stepped = this.optimizer.step(this.current, this.pendingGradient).map((w) => Math.max(w, MIN_WEIGHT));
    const total = stepped.reduce((a, b) => a + b, 0);
    this.current = stepped.map((w) => (this.tasks.length * w) / total);
    this.pendingGradient = undefined;
  }

  protected weightValues(): number[] {
    return [...this.current];
  }

  protected stateData(): StateData {
    return {
      weights: [...this.current],
      initialLosses: this.initialLosses ? [...this.initialLosses] : null,
      optimizer: this.optimizer.state(),
    };
  }

  protected restoreData(data: StateData, where: string): void {
    const weights = readNumbers(data.weights, this.tasks.length, `${where}: state.data.weights`);
    const initialLosses =
      data.initialLosses === null
        ? undefined
        : readNumbers(data.initialLosses, this.tasks.length, `${where}: state.data.initialLosses`);
    const optimizer = data.optimizer;
    if (typeof optimizer !== 'object' || optimizer === null || Array.isArray(optimizer)) {
      throw new Error(`${where}: state.data.optimizer must be an object`);
    }
    this.optimizer.restore(optimizer, where);
    this.current = weights;
    this.initialLosses = initialLosses;
    this.pendingGradient = undefined;
  }
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Each task's loss and the global L2 norm of its gradients, in task order. */
function readTaskGradients(
  tasks: readonly string[],
  taskGradients: TaskGradients,
): { losses: number[]; norms: number[] } {
  const where = 'gradnorm.useTaskGradients';
  const missing = tasks.filter((task) => taskGradients[task] === undefined);
  if (missing.length > 0) throw new Error(`${where}: no gradients for task(s) ${missing.join(', ')}`);
  const values = tf.tidy(() => {
    const perTask = tasks.map((task) => {
      const { loss, gradients } = taskGradients[task]!;
      const tensors = Object.values(gradients);
      if (tensors.length === 0) throw new Error(`${where}: task '${task}' has an empty gradient map`);
      const squaredNorm = tf.addN(tensors.map((g) => tf.sum(tf.square(g))));
      return tf.stack([tf.reshape(loss, []), tf.sqrt(squaredNorm)]);
    });
    return tf.stack(perTask).arraySync() as number[][];
  });
  return { losses: values.map((row) => row[0] as number), norms: values.map((row) => row[1] as number) };
}

export const gradnormMethod: MethodDefinition<GradNormOptions> = {
  name: 'gradnorm',
  summary:
    'weights w (init 1, sum K) move so each task gradient norm on the last shared layer tracks its training rate^alpha',
  paper: {
    title: 'GradNorm: Gradient Normalization for Adaptive Loss Balancing in Deep Multitask Networks',
    authors: 'Chen, Badrinarayanan, Lee, Rabinovich',
    venue: 'ICML',
    year: 2018,
    url: 'https://arxiv.org/abs/1711.02257',
  },
  options: {
    alpha: numberOption('asymmetry alpha', 1.5, { min: 0 }),
    learningRate: numberOption("learning rate of the weights' own Adam", 0.025, { min: 0, exclusiveMin: true }),
  },
  create: (tasks, options) => new GradNormStrategy(tasks, options as Required<GradNormOptions>),
};
