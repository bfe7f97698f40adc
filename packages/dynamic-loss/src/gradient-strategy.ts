import * as tf from '@tensorflow/tfjs-core';
import { BaseStrategy } from './base-strategy.js';
import { checkGramian, checkVector, type Matrix } from './solvers/matrix.js';
import { readNumbers, type StateData } from './state-data.js';
import type { StrategyNeeds, TaskGradients } from './strategy.js';
import { orderTaskGradients, taskGramian, weightedSum } from './task-gradient-math.js';

/** What a gradient method sees of one step: the task gradients over the shared parameters, in task order. */
export interface TaskJacobian {
  /** The host's names of the shared parameters (or `representation`). */
  keys: string[];
  /** Each task's gradient per key; the host owns them. */
  maps: tf.NamedTensorMap[];
  /** Each task's loss value, read on first use. */
  losses(): number[];
}

/**
 * What every gradient-balancing method shares: it asks for per-task gradients of the
 * shared parameters, lets the heads train on their own task's loss (combine is the plain
 * sum, so c_i = 1 and a head gets its own task's gradient), and replaces the shared
 * parameters' gradients with its direction. `weights()` are the coefficients of the task
 * gradients in the last direction (1/T before the first step), saved with the state.
 */
export abstract class GradientStrategy extends BaseStrategy {
  override readonly needs: StrategyNeeds = { taskGradients: 'shared', lossesAfterStep: false };
  private lastWeights: number[] | undefined;

  protected combineVector(losses: tf.Tensor1D): tf.Scalar {
    return tf.sum(losses) as tf.Scalar;
  }

  override useTaskGradients(taskGradients: TaskGradients): tf.NamedTensorMap {
    const where = `${this.method}.useTaskGradients`;
    const { keys, maps, losses } = orderTaskGradients(where, this.tasks, taskGradients);
    let values: number[] | undefined;
    const jacobian: TaskJacobian = {
      keys,
      maps,
      losses: () => {
        values ??= losses.map((loss) => loss.dataSync()[0] as number);
        return values;
      },
    };
    const { direction, weights } = this.direction(jacobian);
    this.lastWeights = weights;
    return direction;
  }

  /** The update direction for the shared parameters (new tensors) and the task coefficients it reports. */
  protected abstract direction(jacobian: TaskJacobian): { direction: tf.NamedTensorMap; weights: number[] };

  protected weightValues(): number[] {
    return this.lastWeights ? [...this.lastWeights] : this.tasks.map(() => 1 / this.tasks.length);
  }

  protected stateData(): StateData {
    return { weights: this.lastWeights ? [...this.lastWeights] : null, ...this.methodState() };
  }

  protected restoreData(data: StateData, where: string): void {
    const weights =
      data.weights === null || data.weights === undefined
        ? undefined
        : readNumbers(data.weights, this.tasks.length, `${where}: state.data.weights`);
    this.restoreMethodState(data, where);
    this.lastWeights = weights;
  }

  /** The method's own state beyond the last weights. */
  protected methodState(): StateData {
    return {};
  }

  protected restoreMethodState(_data: StateData, _where: string): void {}
}

/**
 * A method whose weights are a function of the Gramian G = J J^T alone (and the losses):
 * the direction is J^T w, computed parameter by parameter without ever stacking the T
 * gradients into one matrix.
 */
export abstract class GramianStrategy extends GradientStrategy {
  protected direction(jacobian: TaskJacobian): { direction: tf.NamedTensorMap; weights: number[] } {
    const where = `${this.method}.useTaskGradients`;
    const gramian = taskGramian(jacobian.maps, jacobian.keys);
    checkGramian(where, gramian, this.tasks);
    const weights = this.weightsFromGramian(gramian, jacobian.losses);
    checkVector(where, 'the weights', weights, this.tasks.length);
    return { direction: weightedSum(jacobian.maps, jacobian.keys, weights), weights };
  }

  /** The coefficients w of the direction J^T w. */
  protected abstract weightsFromGramian(gramian: Matrix, losses: () => number[]): number[];
}
