import { describe, expect, it } from 'vitest';
import { createStrategy, restoreStrategy } from '../src/index.js';
import { combineValue, expectClose, useCpuBackend } from './helpers.js';

useCpuBackend();

const tasks = ['emotion', 'gender'];

describe('dwa (Liu et al. 2019)', () => {
  it('weighs every task 1 for the first two epochs', () => {
    const strategy = createStrategy('dwa', { tasks });
    expect(strategy.weights()).toEqual({ emotion: 1, gender: 1 });
    strategy.endEpoch([2, 1]);
    expect(strategy.weights()).toEqual({ emotion: 1, gender: 1 });
    expect(combineValue(strategy, [0.5, 0.25])).toBeCloseTo(0.75, 6);
  });

  it('weighs by the ratio of the last two epoch-mean losses, temperature 2', () => {
    const strategy = createStrategy('dwa', { tasks });
    strategy.endEpoch([2, 1]);
    strategy.endEpoch({ emotion: 1, gender: 0.9 });
    // r = [1/2, 0.9/1]; lambda = 2 exp(r/2) / (exp(0.25) + exp(0.45)) = [0.900335, 1.099665]
    expectClose(Object.values(strategy.weights()), [0.900335, 1.099665], 5);
    expect(combineValue(strategy, [1, 1])).toBeCloseTo(2, 5);
    // Only the last two epochs count: r = [0.8/1, 0.9/0.9]
    strategy.endEpoch([0.8, 0.9]);
    const e1 = Math.exp(0.8 / 2);
    const e2 = Math.exp(1 / 2);
    expectClose(Object.values(strategy.weights()), [(2 * e1) / (e1 + e2), (2 * e2) / (e1 + e2)], 6);
  });

  it('sharpens with a lower temperature', () => {
    const strategy = createStrategy('dwa', { tasks: ['a', 'b', 'c'], temperature: 0.5 });
    strategy.endEpoch([1, 1, 1]);
    strategy.endEpoch([0.5, 1, 1.5]);
    const exps = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const total = exps[0]! + exps[1]! + exps[2]!;
    expectClose(
      Object.values(strategy.weights()),
      exps.map((e) => (3 * e) / total),
      5,
    );
  });

  it('round-trips its history through JSON', () => {
    const strategy = createStrategy('dwa', { tasks });
    strategy.endEpoch([2, 1]);
    const resumed = restoreStrategy(JSON.parse(JSON.stringify(strategy.state())));
    strategy.endEpoch([1, 0.9]);
    resumed.endEpoch([1, 0.9]);
    expect(resumed.weights()).toEqual(strategy.weights());
  });

  it('rejects bad epoch losses', () => {
    const strategy = createStrategy('dwa', { tasks });
    expect(() => strategy.endEpoch([1, 0])).toThrow(
      "dwa.endEpoch: the mean loss of task 'gender' must be > 0 for the ratio, got 0",
    );
    expect(() => strategy.endEpoch([1, Number.NaN])).toThrow(
      "dwa.endEpoch: the loss of task 'gender' is NaN, not finite",
    );
    expect(() => strategy.endEpoch({ emotion: 1 })).toThrow(
      'dwa.endEpoch: losses must name exactly the tasks emotion, gender: missing gender',
    );
  });
});
