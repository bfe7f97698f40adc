import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createStrategy, restoreStrategy } from '../src/index.js';
import { combineValue, expectClose, minimizeOnConstantLosses, scalars, useCpuBackend } from './helpers.js';

useCpuBackend();

const tasks = ['emotion', 'gender'];

function train(form: 'regression' | 'classification', losses: number[], steps: number): number[] {
  const strategy = createStrategy('uncertainty', { tasks, form });
  const optimizer = tf.train.adam(0.05);
  minimizeOnConstantLosses(strategy, losses, optimizer, steps);
  const logVariances = Array.from(strategy.trainableVariables[0]!.dataSync());
  optimizer.dispose();
  strategy.dispose();
  return logVariances;
}

describe('uncertainty (Kendall et al. 2018)', () => {
  it('computes 1/2 e^-s L + s/2 (regression form, the default)', () => {
    const strategy = restoreStrategy({
      method: 'uncertainty',
      tasks,
      options: { form: 'regression', initialLogVariance: 0 },
      data: { logVariances: [0.4, -1] },
    });
    const expected = 0.5 * Math.exp(-0.4) * 2 + 0.2 + 0.5 * Math.exp(1) * 0.3 - 0.5;
    expect(combineValue(strategy, [2, 0.3])).toBeCloseTo(expected, 5);
    expectClose(Object.values(strategy.weights()), [0.5 * Math.exp(-0.4), 0.5 * Math.exp(1)]);
    const { grads } = tf.variableGrads(
      () => strategy.combine(scalars([2, 0.3])),
      strategy.trainableVariables as tf.Variable[],
    );
    // d/ds (1/2 e^-s L + s/2) = 1/2 - 1/2 e^-s L
    expectClose(Array.from(grads[strategy.trainableVariables[0]!.name]!.dataSync()), [
      0.5 - 0.5 * Math.exp(-0.4) * 2,
      0.5 - 0.5 * Math.exp(1) * 0.3,
    ]);
    tf.dispose(Object.values(grads));
    strategy.dispose();
  });

  it('computes e^-s L + s/2 in the classification form', () => {
    const strategy = createStrategy('uncertainty', { tasks, form: 'classification', initialLogVariance: 0.5 });
    expect(combineValue(strategy, [2, 0.3])).toBeCloseTo(Math.exp(-0.5) * 2.3 + 0.5, 5);
    expectClose(Object.values(strategy.weights()), [Math.exp(-0.5), Math.exp(-0.5)]);
    strategy.dispose();
  });

  it('converges to the closed-form optimum s = log L for constant losses (regression form)', () => {
    expectClose(train('regression', [2, 0.25], 600), [Math.log(2), Math.log(0.25)], 2);
  });

  it('converges to s = log 2L for constant losses (classification form)', () => {
    expectClose(train('classification', [2, 0.25], 600), [Math.log(4), Math.log(0.5)], 2);
  });
});
