import * as tf from '@tensorflow/tfjs-core';
import type { JsonValue } from './strategy.js';

export type StateData = { [key: string]: JsonValue };

/** Checks that a restored value is a list of `length` finite numbers; `what` names it in the error. */
export function readNumbers(value: unknown, length: number, what: string): number[] {
  if (
    !Array.isArray(value) ||
    value.length !== length ||
    !value.every((x) => typeof x === 'number' && Number.isFinite(x))
  ) {
    throw new Error(`${what} must be ${length} finite numbers, got ${JSON.stringify(value)}`);
  }
  return [...value];
}

/** Reads the values of a 1-D variable or tensor as plain numbers. */
export function vectorValues(tensor: tf.Tensor): number[] {
  return Array.from(tensor.dataSync());
}

/** Sets a 1-D variable to the given numbers without leaving the staging tensor behind. */
export function assignValues(variable: tf.Variable, values: readonly number[]): void {
  const staged = tf.tensor1d(values as number[]);
  variable.assign(staged);
  staged.dispose();
}

/** A trainable 1-D variable holding `values`, without leaving the initial tensor behind. */
export function vectorVariable(values: readonly number[]): tf.Variable<tf.Rank.R1> {
  const initial = tf.tensor1d(values as number[]);
  const variable = tf.variable(initial, true) as tf.Variable<tf.Rank.R1>;
  initial.dispose();
  return variable;
}
