import * as tf from '@tensorflow/tfjs-core';
import type { Matrix } from './solvers/matrix.js';
import type { TaskGradients } from './strategy.js';

/** Each task's gradient map in task order, checked to name the same parameters. */
export function orderTaskGradients(
  where: string,
  tasks: readonly string[],
  taskGradients: TaskGradients,
): { keys: string[]; maps: tf.NamedTensorMap[]; losses: tf.Scalar[] } {
  const missing = tasks.filter((task) => taskGradients[task] === undefined);
  if (missing.length > 0) throw new Error(`${where}: no gradients for task(s) ${missing.join(', ')}`);
  const maps = tasks.map((task) => (taskGradients[task] as TaskGradients[string]).gradients);
  const keys = Object.keys(maps[0] as tf.NamedTensorMap);
  if (keys.length === 0) throw new Error(`${where}: task '${tasks[0]}' has an empty gradient map`);
  maps.forEach((map, i) => {
    const other = Object.keys(map);
    if (other.length !== keys.length || keys.some((key) => map[key] === undefined)) {
      throw new Error(
        `${where}: task '${tasks[i]}' has gradients for ${other.join(', ')}, task '${tasks[0]}' for ${keys.join(', ')}`,
      );
    }
  });
  return { keys, maps, losses: tasks.map((task) => (taskGradients[task] as TaskGradients[string]).loss) };
}

/**
 * The Gramian G_ij = <g_i, g_j> of the task gradients, summed over the parameters, as
 * plain numbers. One pair at a time inside its own tidy, so it never holds more than one
 * parameter-sized temporary: no stacked copy of the T gradients.
 */
export function taskGramian(maps: readonly tf.NamedTensorMap[], keys: readonly string[]): Matrix {
  const n = maps.length;
  const entries: tf.Scalar[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      entries.push(
        tf.tidy(() => {
          let total = tf.scalar(0);
          for (const key of keys) {
            const next = tf.add(
              total,
              tf.sum(tf.mul((maps[i] as tf.NamedTensorMap)[key]!, (maps[j] as tf.NamedTensorMap)[key]!)),
            );
            total.dispose();
            total = next as tf.Scalar;
          }
          return total;
        }),
      );
    }
  }
  const stacked = tf.stack(entries);
  const values = stacked.dataSync();
  tf.dispose([stacked, ...entries]);
  const gramian: Matrix = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const value = values[k++] as number;
      (gramian[i] as number[])[j] = value;
      (gramian[j] as number[])[i] = value;
    }
  }
  return gramian;
}

/**
 * sum_i weights_i g_i for every parameter, accumulated one task at a time (at most three
 * parameter-sized tensors alive per parameter). The caller owns the result.
 */
export function weightedSum(
  maps: readonly tf.NamedTensorMap[],
  keys: readonly string[],
  weights: readonly number[],
): tf.NamedTensorMap {
  return Object.fromEntries(
    keys.map((key) => {
      let total = tf.mul((maps[0] as tf.NamedTensorMap)[key]!, weights[0] as number);
      for (let i = 1; i < maps.length; i++) {
        const next = tf.tidy(() => tf.add(total, tf.mul((maps[i] as tf.NamedTensorMap)[key]!, weights[i] as number)));
        total.dispose();
        total = next;
      }
      return [key, total];
    }),
  );
}
