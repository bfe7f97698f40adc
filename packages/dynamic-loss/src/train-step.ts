import * as tf from '@tensorflow/tfjs-core';
import type { TaskGradients, TaskLosses, WeightingStrategy } from './strategy.js';
import { orderLosses } from './task-losses.js';

export type VariableMap = Readonly<Record<string, tf.Variable>>;

export interface TrainStepOptions {
  strategy: WeightingStrategy;
  optimizer: tf.Optimizer;
  /**
   * The forward pass on this step's batch: each task's scalar loss. It runs once, plus
   * once per task when the strategy asks for per-task gradients, plus once after the
   * update when it asks for the new losses, so it should be deterministic for the batch.
   */
  computeLosses: () => TaskLosses;
  /** What the optimiser trains; default every trainable variable. The strategy's own variables are always added. */
  variables?: readonly tf.Variable[];
  /** The parameters shared by all tasks, by name; required when `needs.taskGradients` is `shared`. */
  shared?: VariableMap;
  /** The last layer shared by all tasks, by name; required when `needs.taskGradients` is `last-shared-layer`. */
  lastSharedLayer?: VariableMap;
  /** Scale all gradients so their global L2 norm is at most this, before the update. */
  clipNorm?: number;
}

export interface TrainStepResult {
  /** The combined loss of the step. */
  loss: number;
  /** Each task's loss before the update. */
  losses: Record<string, number>;
  /** The task weights this step used. */
  weights: Record<string, number>;
}

/**
 * One training step that follows the strategy contract (see `WeightingStrategy`): it asks
 * the strategy what it needs and never names a method. Leaves no tensors behind.
 */
export function trainStep(options: TrainStepOptions): TrainStepResult {
  const { strategy, optimizer, computeLosses } = options;
  if (options.clipNorm !== undefined && !(options.clipNorm > 0)) {
    throw new Error(`trainStep: option 'clipNorm' must be > 0, got ${options.clipNorm}`);
  }
  const scope = strategy.needs.taskGradients;
  const group = scope === 'none' ? undefined : scopeVariables(strategy, scope, options);
  strategy.beforeStep();
  const taskGradients = group === undefined ? undefined : computeTaskGradients(strategy, computeLosses, group);
  try {
    const variables = options.variables && [...new Set([...options.variables, ...strategy.trainableVariables])];
    let stepLosses: tf.Tensor1D | undefined;
    const { value, grads } = tf.variableGrads(
      () => {
        const losses = computeLosses();
        const combined = strategy.combine(losses);
        stepLosses = tf.keep(
          tf.stack(orderLosses('trainStep: computeLosses()', strategy.tasks, losses)) as tf.Tensor1D,
        );
        return combined;
      },
      variables as tf.Variable[] | undefined,
    );
    const weights = strategy.weights();
    const lossValues = Array.from(stepLosses!.dataSync());
    stepLosses!.dispose();
    const loss = value.dataSync()[0] as number;
    value.dispose();

    try {
      if (taskGradients !== undefined && group !== undefined) {
        const replacements = strategy.useTaskGradients(taskGradients);
        const unknown = Object.keys(replacements).find((key) => group[key] === undefined);
        if (unknown !== undefined) {
          tf.dispose(Object.values(replacements));
          throw new Error(
            `trainStep: ${strategy.method}.useTaskGradients returned a gradient for unknown parameter '${unknown}'`,
          );
        }
        for (const [key, gradient] of Object.entries(replacements)) {
          const name = (group[key] as tf.Variable).name;
          grads[name]?.dispose();
          grads[name] = gradient;
        }
      }
      if (options.clipNorm !== undefined) clipByGlobalNorm(grads, options.clipNorm);
      optimizer.applyGradients(grads);
    } finally {
      tf.dispose(Object.values(grads));
    }

    const lossesAfterStep = strategy.needs.lossesAfterStep
      ? tf.tidy(() =>
          orderLosses('trainStep: computeLosses()', strategy.tasks, computeLosses()).map(
            (l) => l.dataSync()[0] as number,
          ),
        )
      : undefined;
    strategy.afterStep(lossesAfterStep === undefined ? undefined : { lossesAfterStep });
    return {
      loss,
      losses: Object.fromEntries(strategy.tasks.map((task, i) => [task, lossValues[i] as number])),
      weights,
    };
  } finally {
    if (taskGradients !== undefined) {
      for (const { loss, gradients } of Object.values(taskGradients)) tf.dispose([loss, ...Object.values(gradients)]);
    }
  }
}

function scopeVariables(
  strategy: WeightingStrategy,
  scope: 'shared' | 'last-shared-layer',
  options: TrainStepOptions,
): VariableMap {
  const group = scope === 'shared' ? options.shared : options.lastSharedLayer;
  const option = scope === 'shared' ? 'shared' : 'lastSharedLayer';
  if (group === undefined || Object.keys(group).length === 0) {
    throw new Error(
      `trainStep: strategy '${strategy.method}' needs per-task gradients of the ${scope === 'shared' ? 'shared parameters' : 'last shared layer'}; pass option '${option}'`,
    );
  }
  return group;
}

/** Each task's own loss and its gradient over the group, one backward pass per task. */
function computeTaskGradients(
  strategy: WeightingStrategy,
  computeLosses: () => TaskLosses,
  group: VariableMap,
): TaskGradients {
  const entries = Object.entries(group);
  const result: Record<string, { loss: tf.Scalar; gradients: tf.NamedTensorMap }> = {};
  strategy.tasks.forEach((task, i) => {
    const { value, grads } = tf.variableGrads(
      () => orderLosses('trainStep: computeLosses()', strategy.tasks, computeLosses())[i] as tf.Scalar,
      entries.map(([, variable]) => variable),
    );
    // A parameter this task's loss does not reach gets a zero gradient, so every task has every key.
    const gradients = Object.fromEntries(
      entries.map(([key, variable]) => [key, grads[variable.name] ?? tf.zerosLike(variable)]),
    );
    result[task] = { loss: value, gradients };
  });
  return result;
}

function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): void {
  const norm = tf.tidy(() =>
    Math.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))).dataSync()[0] as number),
  );
  if (norm <= maxNorm) return;
  for (const [name, gradient] of Object.entries(grads)) {
    grads[name] = tf.mul(gradient, maxNorm / norm);
    gradient.dispose();
  }
}
