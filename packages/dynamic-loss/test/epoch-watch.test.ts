import { afterEach, describe, expect, it, vi } from 'vitest';
import { createStrategy } from '../src/index.js';
import { useCpuBackend } from './helpers.js';

useCpuBackend();

const tasks = ['emotion', 'gender'];

describe('methods that need endEpoch', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each(['dwa', 'stch'])('%s says so and warns once when it trains 1000 steps without an epoch', (name) => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const strategy = createStrategy(name, { tasks });
    expect(strategy.needs.endEpoch).toBe(true);
    for (let step = 0; step < 999; step++) strategy.beforeStep();
    expect(warn).not.toHaveBeenCalled();
    for (let step = 0; step < 2000; step++) strategy.beforeStep();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toBe(
      `${name}: 1000 training step(s) and no endEpoch() yet; ${name} only changes its weights at the end of an epoch: call strategy.endEpoch(meanTrainLossPerTask) after each epoch`,
    );
    strategy.state();
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('warns at a checkpoint taken after training without an epoch, and never once an epoch ended', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const untouched = createStrategy('dwa', { tasks });
    untouched.state();
    expect(warn).not.toHaveBeenCalled();
    const forgotten = createStrategy('dwa', { tasks });
    forgotten.beforeStep();
    forgotten.state();
    expect(warn).toHaveBeenCalledTimes(1);
    const used = createStrategy('stch', { tasks });
    for (let step = 0; step < 1500; step++) {
      used.beforeStep();
      if (step === 10) used.endEpoch([1, 1]);
    }
    used.state();
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('does not warn for methods that need no epochs', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const strategy = createStrategy('softmax', { tasks });
    for (let step = 0; step < 1500; step++) strategy.beforeStep();
    strategy.state();
    expect(strategy.needs.endEpoch).toBeFalsy();
    // (tfjs itself may advise installing tfjs-node on its first tensor.)
    expect(warn.mock.calls.filter(([message]) => String(message).includes('endEpoch'))).toEqual([]);
    strategy.dispose();
  });
});
