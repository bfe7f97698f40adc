import * as tf from '@tensorflow/tfjs-core';
import type { EpochWatch } from './epoch-watch.js';
import { optionsToJson } from './options.js';
import type { StateData } from './state-data.js';
import type {
  AfterStepInfo,
  StrategyNeeds,
  StrategyState,
  TaskGradients,
  TaskLosses,
  TaskLossValues,
  WeightingStrategy,
} from './strategy.js';
import { readLossValues, stackLosses } from './task-losses.js';

/**
 * What every method shares: task bookkeeping, input checks, the state envelope and
 * no-op hooks. A method overrides the hooks it uses and says how to combine, weigh and
 * save itself.
 */
export abstract class BaseStrategy implements WeightingStrategy {
  readonly needs: StrategyNeeds = { taskGradients: 'none', lossesAfterStep: false };
  readonly trainableVariables: readonly tf.Variable[] = [];
  /** Set by methods that learn from `endEpoch`, so training without it warns. */
  protected readonly epochWatch: EpochWatch | undefined;

  constructor(
    readonly method: string,
    readonly tasks: readonly string[],
    /** The parsed options, kept in the state so a restore can check it continues the same run. */
    private readonly optionsForState: object,
  ) {}

  beforeStep(): void {
    this.epochWatch?.step();
  }

  combine(losses: TaskLosses): tf.Scalar {
    return tf.tidy(() => this.combineVector(stackLosses(`${this.method}.combine`, this.tasks, losses)));
  }

  useTaskGradients(_taskGradients: TaskGradients): tf.NamedTensorMap {
    return {};
  }

  afterStep(_info?: AfterStepInfo): void {}

  endEpoch(meanLosses: TaskLossValues): void {
    this.lossValues('endEpoch', meanLosses);
  }

  weights(): Record<string, number> {
    const values = this.weightValues();
    return Object.fromEntries(this.tasks.map((task, i) => [task, values[i] as number]));
  }

  state(): StrategyState {
    this.epochWatch?.check();
    return {
      method: this.method,
      tasks: [...this.tasks],
      options: optionsToJson(this.optionsForState),
      data: this.stateData(),
    };
  }

  restore(state: StrategyState): void {
    const where = `${this.method}.restore`;
    if (typeof state !== 'object' || state === null) throw new Error(`${where}: state must be an object`);
    if (state.method !== this.method) {
      throw new Error(`${where}: the state was written by '${state.method}', not '${this.method}'`);
    }
    if (!Array.isArray(state.tasks) || state.tasks.join('\u0000') !== this.tasks.join('\u0000')) {
      throw new Error(`${where}: the state's tasks (${String(state.tasks)}) differ from ${this.tasks.join(', ')}`);
    }
    const expected = JSON.stringify(optionsToJson(this.optionsForState));
    if (JSON.stringify(state.options) !== expected) {
      throw new Error(
        `${where}: the state's options ${JSON.stringify(state.options)} differ from this strategy's ${expected}`,
      );
    }
    if (typeof state.data !== 'object' || state.data === null)
      throw new Error(`${where}: state.data must be an object`);
    this.restoreData(state.data, where);
  }

  dispose(): void {}

  /** The combined loss from the losses in task order (runs inside a tidy). */
  protected abstract combineVector(losses: tf.Tensor1D): tf.Scalar;
  /** The current task weights in task order. */
  protected abstract weightValues(): number[];
  protected abstract stateData(): StateData;
  protected abstract restoreData(data: StateData, where: string): void;

  protected lossValues(hook: string, values: TaskLossValues): number[] {
    return readLossValues(`${this.method}.${hook}`, this.tasks, values);
  }
}
