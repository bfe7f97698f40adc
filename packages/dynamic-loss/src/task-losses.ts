import * as tf from '@tensorflow/tfjs-core';
import type { TaskLosses, TaskLossValues } from './strategy.js';

function orderEntries<T>(
  where: string,
  tasks: readonly string[],
  losses: Readonly<Record<string, T>> | readonly T[],
): T[] {
  if (Array.isArray(losses)) {
    if (losses.length !== tasks.length) {
      throw new Error(`${where}: expected ${tasks.length} losses (${tasks.join(', ')}), got ${losses.length}`);
    }
    return [...losses];
  }
  if (typeof losses !== 'object' || losses === null) {
    throw new Error(`${where}: losses must be an array or a map from task name to loss, got ${String(losses)}`);
  }
  const record = losses as Readonly<Record<string, T>>;
  const missing = tasks.filter((task) => !(task in record));
  const extra = Object.keys(record).filter((key) => !tasks.includes(key));
  if (missing.length > 0 || extra.length > 0) {
    const problems = [
      ...(missing.length > 0 ? [`missing ${missing.join(', ')}`] : []),
      ...(extra.length > 0 ? [`unknown ${extra.join(', ')}`] : []),
    ];
    throw new Error(`${where}: losses must name exactly the tasks ${tasks.join(', ')}: ${problems.join('; ')}`);
  }
  return tasks.map((task) => record[task] as T);
}

/** The losses in task order, checked to be scalar tensors. */
export function orderLosses(where: string, tasks: readonly string[], losses: TaskLosses): tf.Scalar[] {
  const ordered = orderEntries(where, tasks, losses);
  ordered.forEach((loss, i) => {
    if (!(loss instanceof tf.Tensor) || loss.rank !== 0) {
      const got = loss instanceof tf.Tensor ? `a tensor of shape [${loss.shape.join(', ')}]` : typeof loss;
      throw new Error(`${where}: the loss of task '${tasks[i]}' must be a scalar tensor, got ${got}`);
    }
    if (loss.isDisposed) throw new Error(`${where}: the loss of task '${tasks[i]}' is disposed`);
  });
  return ordered;
}

/** The losses stacked into one vector in task order (a new tensor; the caller disposes it or runs in a tidy). */
export function stackLosses(where: string, tasks: readonly string[], losses: TaskLosses): tf.Tensor1D {
  return tf.stack(orderLosses(where, tasks, losses)) as tf.Tensor1D;
}

/** Loss values as finite numbers in task order; scalars are read synchronously. */
export function readLossValues(where: string, tasks: readonly string[], values: TaskLossValues): number[] {
  return orderEntries(where, tasks, values).map((value, i) => {
    let number: number;
    if (typeof value === 'number') number = value;
    else if (value instanceof tf.Tensor && value.size === 1 && !value.isDisposed)
      number = value.dataSync()[0] as number;
    else throw new Error(`${where}: the loss of task '${tasks[i]}' must be a number or a scalar tensor`);
    if (!Number.isFinite(number)) throw new Error(`${where}: the loss of task '${tasks[i]}' is ${number}, not finite`);
    return number;
  });
}
