import { describe, expect, it } from 'vitest';
import { createStrategy, describeStrategies, restoreStrategy, strategyNames } from '../src/index.js';
import { combineValue, useCpuBackend } from './helpers.js';

useCpuBackend();

const tasks = ['emotion', 'gender'];

describe('registry', () => {
  it('lists every method of this issue', () => {
    expect(strategyNames()).toEqual([
      'static',
      'softmax',
      'uncertainty',
      'dwa',
      'rlw',
      'gls',
      'gradnorm',
      'famo',
      'imtl-l',
      'stch',
      'pcgrad',
      'mgda',
      'cagrad',
      'nash-mtl',
      'imtl-g',
      'aligned-mtl',
      'upgrad',
      'dualproj',
      'gradvac',
      'fairgrad',
      'moco',
      'db-mtl',
      'excess-mtl',
    ]);
  });

  it('describes each method with a paper link and its options with defaults', () => {
    const described = describeStrategies();
    expect(described.map((d) => d.name)).toEqual(strategyNames());
    for (const method of described) {
      expect(method.paper.url).toMatch(/^https:\/\//);
      expect(method.summary.length).toBeGreaterThan(10);
    }
    const dwa = described.find((d) => d.name === 'dwa')!;
    expect(dwa.options).toEqual([{ name: 'temperature', doc: 'softmax temperature T', default: '2' }]);
    const gradnorm = described.find((d) => d.name === 'gradnorm')!;
    expect(gradnorm.options.find((o) => o.name === 'alpha')!.default).toBe('1.5');
  });

  it('rejects an unknown method, listing the valid ones', () => {
    expect(() => createStrategy('softmaxx', { tasks })).toThrow(
      `createStrategy: unknown strategy "softmaxx"; valid: static, softmax, uncertainty, dwa, rlw, gls, gradnorm, famo, imtl-l, stch, pcgrad, mgda, cagrad, nash-mtl, imtl-g, aligned-mtl, upgrad, dualproj, gradvac, fairgrad, moco, db-mtl, excess-mtl`,
    );
  });

  it('rejects an unknown option, listing the valid ones', () => {
    expect(() => createStrategy('dwa', { tasks, temp: 2 })).toThrow(
      `createStrategy('dwa'): unknown option 'temp'; valid options: temperature`,
    );
    expect(() => createStrategy('softmax', { tasks, lr: 1 })).toThrow(
      `createStrategy('softmax'): unknown option 'lr'; this method takes no options`,
    );
  });

  it('rejects bad option values with the option and the rule', () => {
    expect(() => createStrategy('dwa', { tasks, temperature: 0 })).toThrow(
      `createStrategy('dwa'): option 'temperature' must be a number > 0, got 0`,
    );
    expect(() => createStrategy('dwa', { tasks, temperature: '2' })).toThrow(
      /option 'temperature' must be a number > 0, got "2"/,
    );
    expect(() => createStrategy('uncertainty', { tasks, form: 'gaussian' })).toThrow(
      `createStrategy('uncertainty'): option 'form' must be one of regression, classification, got "gaussian"`,
    );
    expect(() => createStrategy('rlw', { tasks, seed: 1.5 })).toThrow(
      /option 'seed' must be an integer >= 0 and <= 4294967295/,
    );
    expect(() => createStrategy('static', { tasks, weights: [1] })).toThrow(
      `createStrategy('static'): option 'weights' must have one value per task (2: emotion, gender), got 1`,
    );
    expect(() => createStrategy('static', { tasks, weights: { emotion: 1, age: 2 } })).toThrow(
      `option 'weights' must name every task (emotion, gender): missing gender; unknown age`,
    );
    expect(() => createStrategy('static', { tasks, weights: [1, -1] })).toThrow(
      `option 'weights' value for task 'gender' must be a number >= 0, got -1`,
    );
    expect(() => createStrategy('static', { tasks, only: 'age' })).toThrow(
      `option 'only' must be one of the tasks (emotion, gender), got "age"`,
    );
  });

  it('rejects bad task lists', () => {
    expect(() => createStrategy('softmax', { tasks: [] })).toThrow(
      `createStrategy('softmax'): option 'tasks' must be a non-empty array`,
    );
    expect(() => createStrategy('softmax', { tasks: ['a', 'a'] })).toThrow(`option 'tasks' names 'a' twice`);
    expect(() => createStrategy('softmax', { tasks: ['a', ''] })).toThrow(`option 'tasks' has an invalid task name ""`);
  });

  it('restores a strategy from its JSON state, with method, tasks and options', () => {
    const original = createStrategy('dwa', { tasks, temperature: 3 });
    original.endEpoch([2, 1]);
    original.endEpoch({ emotion: 1, gender: 0.9 });
    const restored = restoreStrategy(JSON.parse(JSON.stringify(original.state())));
    expect(restored.method).toBe('dwa');
    expect(restored.tasks).toEqual(tasks);
    expect(restored.weights()).toEqual(original.weights());
    expect(combineValue(restored, [1, 2])).toBeCloseTo(combineValue(original, [1, 2]), 6);
    expect(restored.state()).toEqual(original.state());
  });

  it('refuses a state of another method, other tasks or other options', () => {
    const dwa = createStrategy('dwa', { tasks });
    const state = dwa.state();
    expect(() => createStrategy('rlw', { tasks }).restore(state)).toThrow(
      `rlw.restore: the state was written by 'dwa', not 'rlw'`,
    );
    expect(() => createStrategy('dwa', { tasks: ['a', 'b'] }).restore(state)).toThrow(
      `dwa.restore: the state's tasks (emotion,gender) differ from a, b`,
    );
    expect(() => createStrategy('dwa', { tasks, temperature: 5 }).restore(state)).toThrow(
      `dwa.restore: the state's options {"temperature":2} differ from this strategy's {"temperature":5}`,
    );
    expect(() => restoreStrategy({ ...state, data: { history: [[1, 'x']] } })).toThrow(
      'dwa.restore: state.data.history[0] must be 2 finite numbers, got [1,"x"]',
    );
  });
});
