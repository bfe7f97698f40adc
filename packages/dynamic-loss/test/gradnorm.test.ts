import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createStrategy, type TaskGradients, trainStep } from '../src/index.js';
import { adamReference, combineValue, expectClose, TASKS, TinyMultiTaskModel, useCpuBackend } from './helpers.js';

useCpuBackend();

/** Task gradients over a one-parameter "layer" with the given losses and gradient vectors. */
function taskGradients(losses: [number, number], gradients: [number[], number[]]): TaskGradients {
  return {
    a: { loss: tf.scalar(losses[0]), gradients: { w: tf.tensor1d(gradients[0]) } },
    b: { loss: tf.scalar(losses[1]), gradients: { w: tf.tensor1d(gradients[1]) } },
  };
}

function disposeAll(gradients: TaskGradients): void {
  for (const { loss, gradients: g } of Object.values(gradients)) tf.dispose([loss, ...Object.values(g)]);
}

describe('gradnorm (Chen et al. 2018)', () => {
  it('asks for per-task gradients of the last shared layer', () => {
    expect(createStrategy('gradnorm', { tasks: ['a', 'b'] }).needs).toEqual({
      taskGradients: 'last-shared-layer',
      lossesAfterStep: false,
    });
  });

  it('moves the weights by the sign of G_i - mean(G) r_i^alpha, then renormalises to sum K', () => {
    const strategy = createStrategy('gradnorm', { tasks: ['a', 'b'] });
    expect(strategy.weights()).toEqual({ a: 1, b: 1 });
    // Step 0: ||g_a|| = 5, ||g_b|| = 1; r = (1, 1); G = (5, 1), target = 3 each:
    // dL_grad/dw = (+5, -1); Adam's first step moves each weight by lr = 0.025 against its sign.
    let step = taskGradients(
      [2, 1],
      [
        [3, 4],
        [0, 1],
      ],
    );
    expect(strategy.useTaskGradients(step)).toEqual({});
    disposeAll(step);
    expect(strategy.weights()).toEqual({ a: 1, b: 1 });
    strategy.afterStep();
    expectClose(Object.values(strategy.weights()), [0.975, 1.025], 6);
    // Step 1: task a trained faster (L/L0 = 0.1 vs 0.9): r = (0.2, 1.8), so its target
    // 3.0 * 0.2^1.5 is below G_a and b's is above G_b. Adam again steps by 0.025.
    step = taskGradients(
      [0.2, 0.9],
      [
        [3, 4],
        [0, 1],
      ],
    );
    strategy.useTaskGradients(step);
    disposeAll(step);
    strategy.afterStep();
    expectClose(Object.values(strategy.weights()), [0.95, 1.05], 6);
    expect(combineValue(strategy, [1, 2])).toBeCloseTo(0.95 + 2.1, 5);
  });

  it('moves the weights by the size of the Adam step, which depends on the gradient magnitudes', () => {
    const strategy = createStrategy('gradnorm', { tasks: ['a', 'b'] });
    // dL_grad/dw = sign(G_i - target_i) ||g_i||: (+5, -1) at step 1; at step 2 task a's norm is 10: (+10, -1).
    const steps: [[number, number], [number[], number[]]][] = [
      [
        [2, 1],
        [
          [3, 4],
          [0, 1],
        ],
      ],
      [
        [0.2, 0.9],
        [
          [6, 8],
          [0, 1],
        ],
      ],
    ];
    const lGradGradients = [
      [5, -1],
      [10, -1],
    ];
    let call = 0;
    const renormalise = (w: number[]) => w.map((x) => (2 * x) / (w[0]! + w[1]!));
    const expected = adamReference([1, 1], () => lGradGradients[call++]!, 2, { learningRate: 0.025 }, renormalise);
    steps.forEach(([losses, gradients], i) => {
      const step = taskGradients(losses, gradients);
      strategy.useTaskGradients(step);
      disposeAll(step);
      strategy.afterStep();
      expectClose(Object.values(strategy.weights()), expected[i]!, 9);
    });
    // A sign-only rule (every step the learning rate) would land elsewhere: the size matters.
    const signOnly = renormalise([0.975 - 0.025, 1.025 + 0.025]);
    expect(Math.abs(Object.values(strategy.weights())[0]! - signOnly[0]!)).toBeGreaterThan(1e-4);
  });

  it('pulls a slower task up until its gradient norm matches its target', () => {
    const strategy = createStrategy('gradnorm', { tasks: ['a', 'b'], alpha: 1, learningRate: 0.01 });
    for (let t = 0; t < 300; t++) {
      // Equal gradient norms; b's loss stays while a's halves: r = (2/3, 4/3), so the
      // balance point is w_b / w_a = r_b / r_a = 2, i.e. w = (2/3, 4/3).
      const step = taskGradients(t === 0 ? [1, 1] : [0.5, 1], [[1], [1]]);
      strategy.useTaskGradients(step);
      disposeAll(step);
      strategy.afterStep();
    }
    expectClose(Object.values(strategy.weights()), [2 / 3, 4 / 3], 1);
  });

  it('round-trips weights, initial losses and its optimiser through JSON', () => {
    const strategy = createStrategy('gradnorm', { tasks: ['a', 'b'] });
    const run = (s: typeof strategy, losses: [number, number]) => {
      const step = taskGradients(losses, [
        [3, 4],
        [0, 2],
      ]);
      s.useTaskGradients(step);
      disposeAll(step);
      s.afterStep();
    };
    run(strategy, [2, 1]);
    run(strategy, [1.5, 0.9]);
    const resumed = createStrategy('gradnorm', { tasks: ['a', 'b'] });
    resumed.restore(JSON.parse(JSON.stringify(strategy.state())));
    for (const losses of [
      [1, 0.8],
      [0.7, 0.85],
      [0.5, 0.8],
    ] as [number, number][]) {
      run(strategy, losses);
      run(resumed, losses);
    }
    expect(resumed.weights()).toEqual(strategy.weights());
  });

  it('rejects missing task gradients and an afterStep without them', () => {
    const strategy = createStrategy('gradnorm', { tasks: ['a', 'b'] });
    expect(() => strategy.afterStep()).toThrow(
      'gradnorm.afterStep: no task gradients this step; call useTaskGradients before afterStep',
    );
    const loss = tf.scalar(1);
    expect(() => strategy.useTaskGradients({ a: { loss, gradients: {} } })).toThrow(
      'gradnorm.useTaskGradients: no gradients for task(s) b',
    );
    expect(() => strategy.useTaskGradients({ a: { loss, gradients: {} }, b: { loss, gradients: {} } })).toThrow(
      "gradnorm.useTaskGradients: task 'a' has an empty gradient map",
    );
    loss.dispose();
  });

  it('trains a model through trainStep with the last shared layer', () => {
    const model = new TinyMultiTaskModel(3);
    const strategy = createStrategy('gradnorm', { tasks: [...TASKS] });
    const optimizer = tf.train.sgd(0.1);
    const options = {
      strategy,
      optimizer,
      computeLosses: model.losses,
      variables: model.variables,
      lastSharedLayer: model.shared,
    };
    expect(() => trainStep({ ...options, lastSharedLayer: undefined })).toThrow(
      "trainStep: strategy 'gradnorm' needs per-task gradients of the last shared layer; pass option 'lastSharedLayer'",
    );
    const first = trainStep(options);
    let last = first;
    for (let step = 0; step < 30; step++) last = trainStep(options);
    expect(last.loss).toBeLessThan(first.loss);
    const weights = Object.values(strategy.weights());
    expect(weights[0]! + weights[1]!).toBeCloseTo(2, 6);
    expect(weights).not.toEqual([1, 1]);
    optimizer.dispose();
    model.dispose();
  });
});
