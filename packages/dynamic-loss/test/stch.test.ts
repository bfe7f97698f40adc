import { describe, expect, it } from 'vitest';
import { createStrategy, restoreStrategy } from '../src/index.js';
import { combineValue, expectClose, lossGradient, useCpuBackend } from './helpers.js';

useCpuBackend();

const tasks = ['emotion', 'gender'];

describe('stch (Lin et al. 2024)', () => {
  it('warms up on sum log L, then smooths the maximum of the nadir-normalised log losses', () => {
    const strategy = createStrategy('stch', { tasks, warmupEpochs: 2 });
    expect(combineValue(strategy, [2, 0.5])).toBeCloseTo(0, 5);
    expectClose(Object.values(strategy.weights()), [0.5, 2], 5);
    strategy.endEpoch([3, 1]);
    expect(combineValue(strategy, [2, 0.5])).toBeCloseTo(0, 5);
    strategy.endEpoch([2, 0.5]);
    // nadir = (2, 0.5); u = log(L / nadir) = (log 0.5, log 2); L = 2 * 1 * log(0.5 + 2)
    expect(combineValue(strategy, [1, 1])).toBeCloseTo(2 * Math.log(2.5), 5);
    // weights: 2 softmax(u)_i / L_i = 2 * (0.2, 0.8)
    expectClose(Object.values(strategy.weights()), [0.4, 1.6], 5);
    expectClose(lossGradient(strategy, [1, 1]), [0.4, 1.6], 5);
    strategy.dispose();
  });

  it('approaches the maximum as mu shrinks', () => {
    const strategy = restoreStrategy({
      method: 'stch',
      tasks,
      options: { mu: 0.01, warmupEpochs: 1 },
      data: { epochsDone: 1, nadir: [1, 1] },
    });
    expect(combineValue(strategy, [Math.E, Math.exp(0.5)])).toBeCloseTo(2 * 1, 3);
    strategy.dispose();
  });

  it('rejects a non-positive nadir', () => {
    const strategy = createStrategy('stch', { tasks, warmupEpochs: 1 });
    expect(() => strategy.endEpoch([1, 0])).toThrow(
      "stch.endEpoch: the nadir loss of task 'gender' must be > 0, got 0",
    );
  });
});
