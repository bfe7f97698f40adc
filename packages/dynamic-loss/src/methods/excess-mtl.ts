import * as tf from '@tensorflow/tfjs-core';
import type { TaskJacobian } from '../gradient-strategy.js';
import { JacobianStrategy } from '../jacobian-strategy.js';
import type { MethodDefinition } from '../method-definition.js';
import { numberOption } from '../options.js';
import { readNumbers, readSteps, type StateData } from '../state-data.js';
import { weightedSum } from '../task-gradient-math.js';

export interface ExcessMtlOptions {
  /** Step size eta of the exponentiated weight update. Default 1. */
  robustStepSize?: number;
  /** Steps that only collect statistics (uniform weights); their mean excess risk is the baseline. Default 1. */
  warmupSteps?: number;
}

/**
 * ExcessMTL (He, Zhou, Zhang, Yu, Zhao, ICML 2024, "Robust Multi-Task Learning with Excess
 * Risks").
 * Rule: S <- S + J^2 accumulates squared gradients (an AdaGrad diagonal Hessian), the
 * excess risk of task i is e_i = sum_p g_ip^2 / sqrt(S_ip + 1e-7), and after the warm-up
 * w <- w exp(eta e_i / b_i) / Z, with b the mean excess risk of the warm-up steps; the
 * direction is sum_i w_i g_i. Conventions, as torchjd: w starts at 1/T on the simplex
 * (the official code and LibMTL start at 1, a constant factor), one warm-up step (the
 * paper suggests 3 epochs: set `warmupSteps`). S (T x P) is saved exactly, as base64 float32.
 */
class ExcessMtlStrategy extends JacobianStrategy {
  protected readonly stateNames = ['squaredSums'];
  private steps = 0;
  private current: number[];
  private warmupSum: number[];
  private baseline: number[] | undefined;

  constructor(
    tasks: readonly string[],
    private readonly options: Required<ExcessMtlOptions>,
  ) {
    super('excess-mtl', tasks, options);
    this.current = tasks.map(() => 1 / tasks.length);
    this.warmupSum = tasks.map(() => 0);
  }

  protected direction(jacobian: TaskJacobian): { direction: tf.NamedTensorMap; weights: number[] } {
    const n = this.tasks.length;
    const risks = jacobian.keys.map((key) => {
      const sums = this.stateTensor('squaredSums', key, jacobian.maps[0]![key]!);
      const squared = tf.tidy(() => tf.square(this.stacked(jacobian, key)));
      const next = tf.add(sums, squared);
      this.setStateTensor('squaredSums', key, next);
      const risk = tf.tidy(() => tf.sum(tf.reshape(tf.div(squared, tf.sqrt(tf.add(next, 1e-7))), [n, -1]), 1));
      squared.dispose();
      return risk;
    });
    const total = tf.addN(risks);
    const excess = Array.from(total.dataSync());
    tf.dispose([total, ...risks]);
    const bad = excess.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0)
      throw new Error(`excess-mtl.useTaskGradients: the gradient of task '${this.tasks[bad]}' is NaN or infinite`);
    const step = this.steps;
    this.steps += 1;
    if (step < this.options.warmupSteps) {
      this.warmupSum = this.warmupSum.map((sum, i) => sum + (excess[i] as number));
    } else {
      let relative = excess;
      if (this.baseline === undefined && this.options.warmupSteps === 0) {
        this.baseline = excess;
      } else {
        this.baseline ??= this.warmupSum.map((sum) => sum / this.options.warmupSteps);
        const baseline = this.baseline;
        relative = excess.map((e, i) => e / ((baseline[i] as number) + 1e-7));
      }
      const moved = this.current.map((w, i) => Math.log(w) + this.options.robustStepSize * (relative[i] as number));
      const top = Math.max(...moved);
      const exps = moved.map((x) => Math.exp(x - top));
      const sum = exps.reduce((a, b) => a + b, 0);
      this.current = exps.map((e) => e / sum);
    }
    return { direction: weightedSum(jacobian.maps, jacobian.keys, this.current), weights: [...this.current] };
  }

  protected numberState(): StateData {
    return {
      steps: this.steps,
      current: [...this.current],
      warmupSum: [...this.warmupSum],
      baseline: this.baseline ? [...this.baseline] : null,
    };
  }

  protected restoreNumberState(data: StateData, where: string): void {
    const n = this.tasks.length;
    const steps = readSteps(data.steps, `${where}: state.data.steps`);
    const current = readNumbers(data.current, n, `${where}: state.data.current`);
    const warmupSum = readNumbers(data.warmupSum, n, `${where}: state.data.warmupSum`);
    this.baseline = data.baseline === null ? undefined : readNumbers(data.baseline, n, `${where}: state.data.baseline`);
    this.steps = steps;
    this.current = current;
    this.warmupSum = warmupSum;
  }
}

export const excessMtlMethod: MethodDefinition<ExcessMtlOptions> = {
  name: 'excess-mtl',
  summary: 'weights by exponentiated excess risks, estimated from AdaGrad-style squared gradient sums',
  paper: {
    title: 'Robust Multi-Task Learning with Excess Risks',
    authors: 'He, Zhou, Zhang, Yu, Zhao',
    venue: 'ICML',
    year: 2024,
    url: 'https://arxiv.org/abs/2402.02009',
  },
  options: {
    robustStepSize: numberOption('step size of the exponentiated weight update', 1, { min: 0, exclusiveMin: true }),
    warmupSteps: numberOption('steps of statistics before the weights move', 1, { min: 0, integer: true }),
  },
  create: (tasks, options) => new ExcessMtlStrategy(tasks, options as Required<ExcessMtlOptions>),
};
