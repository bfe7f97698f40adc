import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createStrategy, restoreStrategy } from '../src/index.js';
import { combineValue, expectClose, minimizeOnConstantLosses, scalars, useCpuBackend } from './helpers.js';

useCpuBackend();

const tasks = ['emotion', 'gender'];

function softmax(logits: number[]): number[] {
  const exps = logits.map(Math.exp);
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

describe("softmax (the paper's dynamic weights)", () => {
  it('starts from zero logits: uniform weights, one trainable variable', () => {
    const strategy = createStrategy('softmax', { tasks });
    expect(strategy.trainableVariables).toHaveLength(1);
    expect(Array.from(strategy.trainableVariables[0]!.dataSync())).toEqual([0, 0]);
    expect(strategy.weights()).toEqual({ emotion: 0.5, gender: 0.5 });
    expect(combineValue(strategy, [1.4, 0.2])).toBeCloseTo(0.8, 6);
    strategy.dispose();
  });

  it('has the logit gradient s_j (L_j - sum_i s_i L_i)', () => {
    const logits = [0.3, -0.5, 1.1];
    const losses = [1.7, 0.4, 0.9];
    const strategy = restoreStrategy({ method: 'softmax', tasks: ['a', 'b', 'c'], options: {}, data: { logits } });
    const s = softmax(logits);
    const weighted = s.reduce((sum, sj, j) => sum + sj * (losses[j] as number), 0);
    expect(combineValue(strategy, losses)).toBeCloseTo(weighted, 5);
    expectClose(Object.values(strategy.weights()), s, 6);
    const { grads } = tf.variableGrads(
      () => strategy.combine(scalars(losses)),
      strategy.trainableVariables as tf.Variable[],
    );
    const gradient = Array.from(grads[strategy.trainableVariables[0]!.name]!.dataSync());
    expectClose(
      gradient,
      s.map((sj, j) => sj * ((losses[j] as number) - weighted)),
      6,
    );
    tf.dispose(Object.values(grads));
    strategy.dispose();
  });

  it('drifts toward the task with the lower loss under the host optimiser', () => {
    const strategy = createStrategy('softmax', { tasks });
    const optimizer = tf.train.sgd(0.5);
    minimizeOnConstantLosses(strategy, [2, 0.5], optimizer, 20);
    const { emotion, gender } = strategy.weights();
    expect(gender).toBeGreaterThan(0.9);
    expect(emotion! + gender!).toBeCloseTo(1, 6);
    optimizer.dispose();
    strategy.dispose();
  });
});
