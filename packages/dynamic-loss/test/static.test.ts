import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createStrategy } from '../src/index.js';
import { combineValue, scalars, useCpuBackend } from './helpers.js';

useCpuBackend();

describe('static', () => {
  const tasks = ['emotion', 'gender'];

  it("defaults to the paper's uniform 1/2 each", () => {
    const strategy = createStrategy('static', { tasks });
    expect(strategy.weights()).toEqual({ emotion: 0.5, gender: 0.5 });
    expect(combineValue(strategy, [1.2, 0.4])).toBeCloseTo(0.8, 6);
  });

  it('uses given weights, as an array or by name', () => {
    const byArray = createStrategy('static', { tasks, weights: [0.7, 0.3] });
    const byName = createStrategy('static', { tasks, weights: { gender: 0.3, emotion: 0.7 } });
    expect(byName.weights()).toEqual({ emotion: 0.7, gender: 0.3 });
    expect(combineValue(byArray, [2, 1])).toBeCloseTo(1.7, 6);
    expect(combineValue(byName, [2, 1])).toBeCloseTo(1.7, 6);
  });

  it('trains a single task with one-hot weights', () => {
    const strategy = createStrategy('static', { tasks, only: 'gender' });
    expect(strategy.weights()).toEqual({ emotion: 0, gender: 1 });
    expect(combineValue(strategy, [5, 0.25])).toBeCloseTo(0.25, 6);
  });

  it('accepts losses by name in any key order', () => {
    const strategy = createStrategy('static', { tasks, weights: [1, 10] });
    const value = tf.tidy(() => strategy.combine({ gender: tf.scalar(2), emotion: tf.scalar(3) }).dataSync()[0]);
    expect(value).toBeCloseTo(23, 5);
  });

  it('rejects weights that are all zero and both weights and only', () => {
    expect(() => createStrategy('static', { tasks, weights: [0, 0] })).toThrow(
      `createStrategy('static'): option 'weights' must not be all 0`,
    );
    expect(() => createStrategy('static', { tasks, weights: [1, 0], only: 'gender' })).toThrow(
      `createStrategy('static'): give either option 'weights' or option 'only', not both`,
    );
  });

  it('rejects losses that do not match the tasks', () => {
    const strategy = createStrategy('static', { tasks });
    const [a, b, c] = scalars([1, 2, 3]) as [tf.Scalar, tf.Scalar, tf.Scalar];
    expect(() => strategy.combine([a])).toThrow('static.combine: expected 2 losses (emotion, gender), got 1');
    expect(() => strategy.combine({ emotion: a, age: b })).toThrow(
      'static.combine: losses must name exactly the tasks emotion, gender: missing gender; unknown age',
    );
    const vector = tf.tensor1d([1, 2]);
    expect(() => strategy.combine([a, vector as unknown as tf.Scalar])).toThrow(
      "static.combine: the loss of task 'gender' must be a scalar tensor, got a tensor of shape [2]",
    );
    expect(() => strategy.combine([a, 2 as unknown as tf.Scalar])).toThrow(
      "the loss of task 'gender' must be a scalar tensor, got number",
    );
    c.dispose();
    expect(() => strategy.combine([a, c])).toThrow("static.combine: the loss of task 'gender' is disposed");
    tf.dispose([a, b, vector]);
  });
});
