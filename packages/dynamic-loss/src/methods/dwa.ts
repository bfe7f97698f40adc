import * as tf from '@tensorflow/tfjs-core';
import { BaseStrategy } from '../base-strategy.js';
import { EpochWatch } from '../epoch-watch.js';
import type { MethodDefinition } from '../method-definition.js';
import { numberOption } from '../options.js';
import { readNumbers, type StateData } from '../state-data.js';
import type { StrategyNeeds, TaskLossValues } from '../strategy.js';

export interface DwaOptions {
  /** Softmax temperature T. Default 2. */
  temperature?: number;
}

/**
 * Dynamic Weight Average (Liu, Johns, Davison, CVPR 2019, "End-to-End Multi-Task Learning
 * with Attention").
 * Rule: lambda_k = K exp(r_k / T) / sum_i exp(r_i / T), r_k = L_k(t-1) / L_k(t-2), with
 * L the epoch-mean training losses the host passes to `endEpoch`; lambda_k = 1 for the
 * first two epochs. Weights sum to K (the number of tasks). Option: `temperature` T = 2.
 */
class DwaStrategy extends BaseStrategy {
  override readonly needs: StrategyNeeds = { taskGradients: 'none', lossesAfterStep: false, endEpoch: true };
  protected override readonly epochWatch = new EpochWatch('dwa');
  /** Epoch-mean losses of the last two finished epochs, older first. */
  private history: number[][] = [];
  private current: number[];
  private readonly temperature: number;

  constructor(tasks: readonly string[], options: Required<DwaOptions>) {
    super('dwa', tasks, options);
    this.temperature = options.temperature;
    this.current = tasks.map(() => 1);
  }

  protected combineVector(losses: tf.Tensor1D): tf.Scalar {
    return tf.sum(tf.mul(losses, tf.tensor1d(this.current))) as tf.Scalar;
  }

  override endEpoch(meanLosses: TaskLossValues): void {
    const values = this.lossValues('endEpoch', meanLosses);
    this.epochWatch.epoch();
    const nonPositive = values.findIndex((value) => value <= 0);
    if (nonPositive >= 0) {
      throw new Error(
        `dwa.endEpoch: the mean loss of task '${this.tasks[nonPositive]}' must be > 0 for the ratio, got ${values[nonPositive]}`,
      );
    }
    this.history = [...this.history, values].slice(-2);
    this.current = this.weightsFromHistory();
  }

  private weightsFromHistory(): number[] {
    const [older, newer] = this.history;
    if (older === undefined || newer === undefined) return this.tasks.map(() => 1);
    const scaled = newer.map((loss, k) => loss / (older[k] as number) / this.temperature);
    const top = Math.max(...scaled);
    const exps = scaled.map((x) => Math.exp(x - top));
    const total = exps.reduce((a, b) => a + b, 0);
    return exps.map((e) => (this.tasks.length * e) / total);
  }

  protected weightValues(): number[] {
    return [...this.current];
  }

  protected stateData(): StateData {
    return { history: this.history.map((losses) => [...losses]) };
  }

  protected restoreData(data: StateData, where: string): void {
    const history = data.history;
    if (!Array.isArray(history) || history.length > 2) {
      throw new Error(`${where}: state.data.history must be a list of at most 2 epochs' losses`);
    }
    this.history = history.map((losses, i) =>
      readNumbers(losses, this.tasks.length, `${where}: state.data.history[${i}]`),
    );
    this.current = this.weightsFromHistory();
    if (this.history.length > 0) this.epochWatch.epoch();
  }
}

export const dwaMethod: MethodDefinition<DwaOptions> = {
  name: 'dwa',
  summary: 'lambda = K softmax(r / T), r_k = ratio of the last two epoch-mean losses; 1 for the first two epochs',
  paper: {
    title: 'End-to-End Multi-Task Learning with Attention',
    authors: 'Liu, Johns, Davison',
    venue: 'CVPR',
    year: 2019,
    url: 'https://arxiv.org/abs/1803.10704',
  },
  options: {
    temperature: numberOption('softmax temperature T', 2, { min: 0, exclusiveMin: true }),
  },
  create: (tasks, options) => new DwaStrategy(tasks, options as Required<DwaOptions>),
};
