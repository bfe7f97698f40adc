import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createStrategy, restoreStrategy } from '../src/index.js';
import { combineValue, expectClose, minimizeOnConstantLosses, useCpuBackend } from './helpers.js';

useCpuBackend();

const tasks = ['emotion', 'gender'];

describe('imtl-l (Liu et al. 2021)', () => {
  it('computes sum e^s L - s with weights e^s', () => {
    const strategy = restoreStrategy({ method: 'imtl-l', tasks, options: {}, data: { scales: [0.2, -0.7] } });
    expect(combineValue(strategy, [1.5, 3])).toBeCloseTo(Math.exp(0.2) * 1.5 - 0.2 + Math.exp(-0.7) * 3 + 0.7, 5);
    expectClose(Object.values(strategy.weights()), [Math.exp(0.2), Math.exp(-0.7)]);
    strategy.dispose();
  });

  it('converges to s = -log L for constant losses, so each scaled loss tends to 1', () => {
    const strategy = createStrategy('imtl-l', { tasks });
    const optimizer = tf.train.adam(0.05);
    minimizeOnConstantLosses(strategy, [4, 0.5], optimizer, 600);
    expectClose(Array.from(strategy.trainableVariables[0]!.dataSync()), [-Math.log(4), -Math.log(0.5)], 2);
    expect(strategy.weights().emotion! * 4).toBeCloseTo(1, 1);
    optimizer.dispose();
    strategy.dispose();
  });
});
