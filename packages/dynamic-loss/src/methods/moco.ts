import * as tf from '@tensorflow/tfjs-core';
import type { TaskJacobian } from '../gradient-strategy.js';
import { JacobianStrategy } from '../jacobian-strategy.js';
import type { MethodDefinition } from '../method-definition.js';
import { numberOption } from '../options.js';
import { readNumbers, readSteps, type StateData } from '../state-data.js';

export interface MocoOptions {
  /** Rate beta of the tracked gradients. Default 0.5. */
  beta?: number;
  /** beta decays as beta / t^betaSigma. Default 0.5. */
  betaSigma?: number;
  /** Rate gamma of the task weights. Default 0.1. */
  gamma?: number;
  /** gamma decays as gamma / t^gammaSigma. Default 0.5. */
  gammaSigma?: number;
  /** L2 regularisation rho of the weight update. Default 0. */
  rho?: number;
}

/**
 * MoCo (Fernando, Shen, Liu, Chaudhury, Murugesan, Chen, ICLR 2023, "Mitigating Gradient
 * Bias in Multi-objective Learning: A Provably Convergent Approach").
 * Rule: at step t, Y <- Y - beta_t (Y - J) tracks the task gradients (Y starts at 0),
 * lambda <- softmax(lambda - gamma_t (Y Y^T + rho I) lambda) (lambda starts at 1/T), and the
 * direction is Y^T lambda, with beta_t = beta / t^betaSigma, gamma_t = gamma / t^gammaSigma.
 * Conventions, as torchjd: its defaults and the softmax step (LibMTL instead normalises
 * the gradients by the losses and projects lambda onto the simplex). `weights()` is
 * lambda, the coefficients of the tracked gradients Y, not of this step's J.
 * Y (T x P) is saved exactly, as base64 float32.
 */
class MocoStrategy extends JacobianStrategy {
  protected readonly stateNames = ['tracked'];
  private steps = 0;
  private lambda: number[];

  constructor(
    tasks: readonly string[],
    private readonly options: Required<MocoOptions>,
  ) {
    super('moco', tasks, options);
    this.lambda = tasks.map(() => 1 / tasks.length);
  }

  protected direction(jacobian: TaskJacobian): { direction: tf.NamedTensorMap; weights: number[] } {
    const { beta, betaSigma, gamma, gammaSigma, rho } = this.options;
    const t = this.steps + 1;
    const betaT = beta / t ** betaSigma;
    const gammaT = gamma / t ** gammaSigma;
    const n = this.tasks.length;
    const products = jacobian.keys.map((key) => {
      const tracked = this.stateTensor('tracked', key, jacobian.maps[0]![key]!);
      // Row by row, (1 - beta_t) Y_i + beta_t g_i: no stacked copy of J, no T x P temporaries.
      const rows = tf.unstack(tracked).map((row, i) => {
        const updated = tf.tidy(() => tf.add(tf.mul(row, 1 - betaT), tf.mul(jacobian.maps[i]![key]!, betaT)));
        row.dispose();
        return updated;
      });
      const next = tf.stack(rows);
      tf.dispose(rows);
      this.setStateTensor('tracked', key, next);
      return tf.tidy(() => {
        const flat = tf.reshape(next, [n, -1]) as tf.Tensor2D;
        return tf.matMul(flat, flat, false, true);
      });
    });
    const total = tf.addN(products);
    const gramian = total.arraySync() as number[][];
    tf.dispose([total, ...products]);
    const moved = this.lambda.map(
      (l, i) =>
        l -
        gammaT * ((gramian[i] as number[]).reduce((sum, g, j) => sum + g * (this.lambda[j] as number), 0) + rho * l),
    );
    const top = Math.max(...moved);
    const exps = moved.map((x) => Math.exp(x - top));
    const sum = exps.reduce((a, b) => a + b, 0);
    const lambda = exps.map((e) => e / sum);
    const bad = lambda.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0)
      throw new Error(
        `moco.useTaskGradients: the weight of task '${this.tasks[bad]}' is not finite; a task gradient is NaN or infinite`,
      );
    this.lambda = lambda;
    this.steps = t;
    const weights = tf.tensor2d([lambda], [1, n]);
    const direction = Object.fromEntries(
      jacobian.keys.map((key) => {
        const tracked = this.tensors.get('tracked')!.get(key)!;
        return [
          key,
          tf.tidy(() => tf.reshape(tf.matMul(weights, tf.reshape(tracked, [n, -1])), tracked.shape.slice(1))),
        ];
      }),
    );
    weights.dispose();
    return { direction, weights: [...lambda] };
  }

  protected numberState(): StateData {
    return { steps: this.steps, lambda: [...this.lambda] };
  }

  protected restoreNumberState(data: StateData, where: string): void {
    const steps = readSteps(data.steps, `${where}: state.data.steps`);
    this.lambda = readNumbers(data.lambda, this.tasks.length, `${where}: state.data.lambda`);
    this.steps = steps;
  }
}

export const mocoMethod: MethodDefinition<MocoOptions> = {
  name: 'moco',
  summary:
    'track the task gradients Y by a moving average, weights lambda by a softmax step on Y Y^T; direction Y^T lambda',
  paper: {
    title: 'Mitigating Gradient Bias in Multi-objective Learning: A Provably Convergent Approach',
    authors: 'Fernando, Shen, Liu, Chaudhury, Murugesan, Chen',
    venue: 'ICLR',
    year: 2023,
    url: 'https://openreview.net/forum?id=dLAYGdKTi2',
  },
  options: {
    beta: numberOption('rate of the tracked gradients', 0.5, { min: 0 }),
    betaSigma: numberOption('decay exponent of beta', 0.5, { min: 0 }),
    gamma: numberOption('rate of the task weights', 0.1, { min: 0 }),
    gammaSigma: numberOption('decay exponent of gamma', 0.5, { min: 0 }),
    rho: numberOption('L2 regularisation of the weight step', 0, { min: 0 }),
  },
  create: (tasks, options) => new MocoStrategy(tasks, options as Required<MocoOptions>),
};
