import * as tf from '@tensorflow/tfjs-core';
import type { TaskJacobian } from '../gradient-strategy.js';
import { JacobianStrategy } from '../jacobian-strategy.js';
import type { MethodDefinition } from '../method-definition.js';
import { numberOption } from '../options.js';
import { readSteps, type StateData } from '../state-data.js';

export interface DbMtlOptions {
  /** EMA rate beta of the buffered log-loss gradients. Default 0.9. */
  beta?: number;
  /** beta decays as beta / t^betaSigma. Default 0.5. */
  betaSigma?: number;
}

/** Keeps log(L) finite at a zero loss, as the reference code. */
const EPSILON = 1e-8;

/**
 * DB-MTL, dual-balancing (Lin, Ye, Xu, Shi, Zhang, Kwok, 2023, "Dual-Balancing for
 * Multi-Task Learning"), in the authors' LibMTL form.
 * Rule: loss-scale balancing: every task trains on log(L_i + 1e-8) (combine is the sum
 * of the log losses, so a head gets dL_i / (L_i + 1e-8)); gradient-magnitude balancing:
 * the log-loss gradients of the shared parameters go through an EMA buffer
 * B <- G + beta_t (B - G), beta_t = beta / t^betaSigma (B starts at 0), and the direction
 * is sum_i alpha_i B_i with alpha_i = max_j ||B_j|| / (||B_i|| + 1e-8), so every task
 * contributes with the largest norm. `weights()` are alpha, the coefficients of the
 * buffered gradients. The buffer (T x P) is saved exactly, as base64 float32.
 * Options: `beta` = 0.9, `betaSigma` = 0.5 (LibMTL's DB_beta, DB_beta_sigma).
 */
class DbMtlStrategy extends JacobianStrategy {
  protected readonly stateNames = ['buffer'];
  private steps = 0;

  constructor(
    tasks: readonly string[],
    private readonly options: Required<DbMtlOptions>,
  ) {
    super('db-mtl', tasks, options);
  }

  protected override combineVector(losses: tf.Tensor1D): tf.Scalar {
    return tf.sum(tf.log(tf.add(losses, EPSILON))) as tf.Scalar;
  }

  protected direction(jacobian: TaskJacobian): { direction: tf.NamedTensorMap; weights: number[] } {
    const losses = jacobian.losses();
    const bad = losses.findIndex((loss) => !(loss >= 0));
    if (bad >= 0) {
      throw new Error(
        `db-mtl.useTaskGradients: the loss of task '${this.tasks[bad]}' must be >= 0 for its logarithm, got ${losses[bad]}`,
      );
    }
    const t = this.steps + 1;
    const rate = this.options.beta / t ** this.options.betaSigma;
    const n = this.tasks.length;
    const scale = tf.tensor(losses.map((loss) => 1 / (loss + EPSILON)));
    const squaredNorms = jacobian.keys.map((key) => {
      const buffer = this.stateTensor('buffer', key, jacobian.maps[0]![key]!);
      const next = tf.tidy(() => {
        const stacked = this.stacked(jacobian, key);
        const logGradients = tf.mul(stacked, tf.reshape(scale, [n, ...stacked.shape.slice(1).map(() => 1)]));
        return tf.add(logGradients, tf.mul(tf.sub(buffer, logGradients), rate));
      });
      this.setStateTensor('buffer', key, next);
      return tf.tidy(() => tf.sum(tf.square(tf.reshape(next, [n, -1])), 1));
    });
    scale.dispose();
    const total = tf.addN(squaredNorms);
    const norms = Array.from(total.dataSync()).map(Math.sqrt);
    tf.dispose([total, ...squaredNorms]);
    const worst = norms.findIndex((x) => !Number.isFinite(x));
    if (worst >= 0) {
      throw new Error(`db-mtl.useTaskGradients: the gradient of task '${this.tasks[worst]}' is NaN or infinite`);
    }
    const largest = Math.max(...norms);
    const alpha = norms.map((norm) => largest / (norm + EPSILON));
    this.steps = t;
    const weights = tf.tensor2d([alpha], [1, n]);
    const direction = Object.fromEntries(
      jacobian.keys.map((key) => {
        const buffer = this.tensors.get('buffer')!.get(key)!;
        return [key, tf.tidy(() => tf.reshape(tf.matMul(weights, tf.reshape(buffer, [n, -1])), buffer.shape.slice(1)))];
      }),
    );
    weights.dispose();
    return { direction, weights: alpha };
  }

  protected numberState(): StateData {
    return { steps: this.steps };
  }

  protected restoreNumberState(data: StateData, where: string): void {
    this.steps = readSteps(data.steps, `${where}: state.data.steps`);
  }
}

export const dbMtlMethod: MethodDefinition<DbMtlOptions> = {
  name: 'db-mtl',
  summary: 'log losses, then EMA-buffered log-loss gradients scaled to the largest norm and summed',
  paper: {
    title: 'Dual-Balancing for Multi-Task Learning',
    authors: 'Lin, Ye, Xu, Shi, Zhang, Kwok',
    venue: 'arXiv',
    year: 2023,
    url: 'https://arxiv.org/abs/2308.12029',
  },
  options: {
    beta: numberOption('EMA rate of the gradient buffer', 0.9, { min: 0, max: 1 }),
    betaSigma: numberOption('decay exponent of beta', 0.5, { min: 0 }),
  },
  create: (tasks, options) => new DbMtlStrategy(tasks, options as Required<DbMtlOptions>),
};
