import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createStrategy, restoreStrategy } from '../src/index.js';
import { adamReference, combineValue, expectClose, lossGradient, useCpuBackend } from './helpers.js';

useCpuBackend();

const tasks = ['a', 'b'];

describe('famo (Liu et al. 2023)', () => {
  it('asks for the losses after the update', () => {
    expect(createStrategy('famo', { tasks }).needs).toEqual({ taskGradients: 'none', lossesAfterStep: true });
  });

  it('combines sum z_i log D_i / c with effective weights z_i / (c D_i)', () => {
    const strategy = createStrategy('famo', { tasks });
    // z = (1/2, 1/2); c = 0.5/2 + 0.5/0.5 = 1.25; value = (0.5 log 2 + 0.5 log 0.5) / 1.25 = 0
    expect(combineValue(strategy, [2, 0.5])).toBeCloseTo(0, 6);
    expectClose(Object.values(strategy.weights()), [0.2, 0.8], 6);
    expectClose(lossGradient(strategy, [2, 0.5]), [0.2, 0.8], 6);
    // with a lower bound: D = L - min
    const bounded = createStrategy('famo', { tasks, minLosses: [1, 0] });
    expect(combineValue(bounded, [2, 0.5])).toBeCloseTo((0.5 * Math.log(1) + 0.5 * Math.log(0.5)) / (0.5 + 1), 5);
    strategy.dispose();
    bounded.dispose();
  });

  it('updates its logits from the loss decrease the step caused', () => {
    const strategy = createStrategy('famo', { tasks });
    combineValue(strategy, [2, 0.5]);
    strategy.afterStep({ lossesAfterStep: [1.8, 0.49] });
    // delta = (log 2/1.8, log 0.5/0.49); d = z (delta - z.delta) has sign (+, -); the first
    // Adam step (weight decay 0 at w = 0) moves each logit by 0.025 against its sign:
    // the task that improved faster loses weight: logits (-0.025, 0.025).
    // With equal losses D = 1 and c = sum z = 1, so the weights are z = softmax(logits).
    const z = [Math.exp(-0.025), Math.exp(0.025)].map((e, _, all) => e / (all[0]! + all[1]!));
    combineValue(strategy, [1, 1]);
    expectClose(Object.values(strategy.weights()), z, 6);
    strategy.dispose();
  });

  it('moves its logits by the size of the Adam step on J_softmax^T delta, weight decay included', () => {
    const strategy = createStrategy('famo', { tasks, gamma: 0.01 });
    const steps = [
      { before: [2, 0.5], after: [1.8, 0.49] },
      { before: [1.8, 0.49], after: [1.0, 0.48] },
    ];
    let call = 0;
    const gradient = (logits: number[]) => {
      const { before, after } = steps[call++]!;
      const delta = before.map((b, i) => Math.log(b + 1e-8) - Math.log(after[i]! + 1e-8));
      const e = logits.map(Math.exp);
      const z = e.map((x) => x / (e[0]! + e[1]!));
      const mean = z[0]! * delta[0]! + z[1]! * delta[1]!;
      return z.map((zi, j) => zi * (delta[j]! - mean));
    };
    const expected = adamReference([0, 0], gradient, 2, { learningRate: 0.025, weightDecay: 0.01 });
    for (const [i, { before, after }] of steps.entries()) {
      combineValue(strategy, before);
      strategy.afterStep({ lossesAfterStep: after });
      // With equal losses, the weights are softmax(logits).
      combineValue(strategy, [1, 1]);
      const e = expected[i]!.map(Math.exp);
      // float32 weights: 7 digits.
      expectClose(
        Object.values(strategy.weights()),
        e.map((x) => x / (e[0]! + e[1]!)),
        7,
      );
    }
    strategy.dispose();
  });

  it('continues identically after a JSON round trip', () => {
    const run = (s: ReturnType<typeof createStrategy>, before: number[], after: number[]) => {
      combineValue(s, before);
      s.afterStep({ lossesAfterStep: after });
    };
    const strategy = createStrategy('famo', { tasks, learningRate: 0.05 });
    run(strategy, [2, 1], [1.5, 0.99]);
    run(strategy, [1.5, 0.99], [1.2, 0.95]);
    const resumed = restoreStrategy(JSON.parse(JSON.stringify(strategy.state())));
    for (const [before, after] of [
      [
        [1.2, 0.95],
        [1.1, 0.8],
      ],
      [
        [1.1, 0.8],
        [1.05, 0.6],
      ],
    ] as [number[], number[]][]) {
      run(strategy, before, after);
      run(resumed, before, after);
    }
    combineValue(strategy, [1, 1]);
    combineValue(resumed, [1, 1]);
    expect(resumed.weights()).toEqual(strategy.weights());
    strategy.dispose();
    resumed.dispose();
  });

  it('rejects an afterStep without the new losses or without a combine', () => {
    const strategy = createStrategy('famo', { tasks });
    expect(() => strategy.afterStep({ lossesAfterStep: [1, 1] })).toThrow(
      'famo.afterStep: no combine() since the last step',
    );
    combineValue(strategy, [1, 1]);
    expect(() => strategy.afterStep()).toThrow(
      'famo.afterStep: needs lossesAfterStep, the per-task losses on the same batch after the update',
    );
    const numTensors = tf.memory().numTensors;
    strategy.dispose();
    expect(tf.memory().numTensors).toBe(numTensors - 2);
  });
});
