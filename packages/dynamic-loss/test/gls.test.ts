import { describe, expect, it } from 'vitest';
import { createStrategy } from '../src/index.js';
import { combineValue, expectClose, lossGradient, useCpuBackend } from './helpers.js';

useCpuBackend();

describe('gls (Chennupati et al. 2019)', () => {
  it('is the geometric mean of the losses', () => {
    const strategy = createStrategy('gls', { tasks: ['a', 'b', 'c'] });
    expect(combineValue(strategy, [4, 1, 2])).toBeCloseTo(2, 5);
    strategy.dispose();
  });

  it('reports its true effective weights L / (K L_i), equal to d L / d L_i', () => {
    const strategy = createStrategy('gls', { tasks: ['a', 'b'] });
    expectClose(Object.values(strategy.weights()), [0.5, 0.5]);
    const gradient = lossGradient(strategy, [4, 1]);
    expectClose(Object.values(strategy.weights()), [2 / 8, 2 / 2], 5);
    expectClose(gradient, [0.25, 1], 5);
    strategy.dispose();
  });
});
