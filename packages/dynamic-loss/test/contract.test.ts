import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  backward,
  createStrategy,
  restoreStrategy,
  type StrategyName,
  strategyNames,
  trainStep,
  type WeightingStrategy,
} from '../src/index.js';
import { expectClose, fixedGradientSum, lossGradient, TASKS, TinyMultiTaskModel, useCpuBackend } from './helpers.js';

useCpuBackend();

const STEPS_PER_EPOCH = 2;

/** A host loop: trainStep each step, endEpoch with the epoch's mean losses. */
function train(
  strategy: WeightingStrategy,
  model: TinyMultiTaskModel,
  optimizer: tf.Optimizer,
  steps: number,
  firstStep = 0,
) {
  let epochLosses = TASKS.map(() => 0);
  for (let step = firstStep; step < firstStep + steps; step++) {
    const result = trainStep({
      strategy,
      optimizer,
      computeLosses: model.losses,
      variables: model.variables,
      shared: model.shared,
      lastSharedLayer: model.shared,
    });
    epochLosses = epochLosses.map((sum, i) => sum + (result.losses[TASKS[i]!] as number));
    if ((step + 1) % STEPS_PER_EPOCH === 0) {
      strategy.endEpoch(epochLosses.map((sum) => sum / STEPS_PER_EPOCH));
      epochLosses = TASKS.map(() => 0);
    }
  }
}

/** Options that make every method's dynamic part act within a few epochs. */
const quickOptions: Partial<Record<StrategyName, Record<string, unknown>>> = {
  stch: { warmupEpochs: 1 },
  rlw: { seed: 5 },
  static: { weights: [0.3, 0.7] },
};

const create = (name: StrategyName) => createStrategy(name, { tasks: [...TASKS], ...quickOptions[name] });

/** Gradient methods whose direction comes from gradients of earlier steps too, not only this step's J^T w. */
const USES_GRADIENT_HISTORY = new Set<StrategyName>(['moco', 'db-mtl']);

/** Each task's own gradient over every model variable, by variable name, as numbers. */
function ownGradients(model: TinyMultiTaskModel): Record<string, number[]>[] {
  return TASKS.map((task) =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => model.losses()[task]!, model.variables);
      value.dispose();
      return Object.fromEntries(Object.entries(grads).map(([name, g]) => [name, Array.from(g.dataSync())]));
    }),
  );
}

describe.each(strategyNames())('contract: %s', (name) => {
  it('reports its weights: d combined / d L_i for a loss method, the coefficients of the update for a gradient method', () => {
    const model = new TinyMultiTaskModel(2);
    const strategy = create(name);
    const optimizer = tf.train.sgd(0.05);
    train(strategy, model, optimizer, 6);
    strategy.beforeStep();
    const gradient = lossGradient(strategy, [0.7, 0.4]);
    if (strategy.needs.taskGradients !== 'shared') {
      expectClose(Object.values(strategy.weights()), gradient, 5);
    } else {
      const before = tf.memory().numTensors;
      const own = ownGradients(model);
      const step = backward({
        strategy,
        computeLosses: model.losses,
        variables: model.variables,
        shared: model.shared,
      });
      expect(step.weights).toEqual(strategy.weights());
      // A head trains on its own task's loss, times d combine / d L_i (1 but for DB-MTL's log losses).
      const coefficients = lossGradient(strategy, Object.values(step.losses));
      TASKS.forEach((task, i) => {
        const head = model.heads[task]!.kernel!;
        expectClose(
          Array.from(step.grads[head.name]!.dataSync()),
          own[i]![head.name]!.map((x) => x * coefficients[i]!),
          5,
        );
      });
      if (!USES_GRADIENT_HISTORY.has(name)) {
        for (const variable of Object.values(model.shared)) {
          const expected = own[0]![variable.name]!.map((_, k) =>
            TASKS.reduce((sum, task, i) => sum + step.weights[task]! * own[i]![variable.name]![k]!, 0),
          );
          expectClose(Array.from(step.grads[variable.name]!.dataSync()), expected, 4);
        }
      }
      tf.dispose(Object.values(step.grads));
      step.afterUpdate();
      expect(tf.memory().numTensors).toBe(before);
    }
    strategy.dispose();
    optimizer.dispose();
    model.dispose();
  });

  it('continues identically after a JSON round trip of its state', () => {
    const continuous = new TinyMultiTaskModel(4);
    const resumed = new TinyMultiTaskModel(4);
    const sgdA = tf.train.sgd(0.05);
    const sgdB = tf.train.sgd(0.05);
    const strategyA = create(name);
    train(strategyA, continuous, sgdA, 10);

    // Resume at an epoch boundary, where a host checkpoints.
    const strategyB = create(name);
    train(strategyB, resumed, sgdB, 6);
    const saved = JSON.stringify(strategyB.state());
    strategyB.dispose();
    const strategyC = restoreStrategy(JSON.parse(saved));
    train(strategyC, resumed, sgdB, 4, 6);

    expect(strategyC.weights()).toEqual(strategyA.weights());
    expect(strategyC.state()).toEqual(strategyA.state());
    expect(resumed.snapshot()).toEqual(continuous.snapshot());
    for (const disposable of [strategyA, strategyC, sgdA, sgdB, continuous, resumed]) disposable.dispose();
  });

  it('leaks no tensors over training steps and frees its own on dispose', () => {
    const model = new TinyMultiTaskModel(5);
    const optimizer = tf.train.sgd(0.05);
    const before = tf.memory().numTensors;
    const strategy = create(name);
    train(strategy, model, optimizer, 2);
    const afterTwo = tf.memory().numTensors;
    train(strategy, model, optimizer, 6, 2);
    expect(tf.memory().numTensors).toBe(afterTwo);
    strategy.dispose();
    expect(tf.memory().numTensors).toBe(before);
    optimizer.dispose();
    model.dispose();
  });
});

describe('contract: gradient-based half', () => {
  it("replaces the shared parameters' gradients with the returned direction", () => {
    const reference = new TinyMultiTaskModel(6);
    const viaTaskGradients = new TinyMultiTaskModel(6);
    const frozenShared = new TinyMultiTaskModel(6);
    const uniform = createStrategy('static', { tasks: [...TASKS], weights: [1, 1] });
    const optimizer = tf.train.sgd(0.1);
    const initial = frozenShared.snapshot();
    const before = tf.memory().numTensors;
    for (let step = 0; step < 3; step++) {
      trainStep({ strategy: uniform, optimizer, computeLosses: reference.losses, variables: reference.variables });
      trainStep({
        strategy: fixedGradientSum([1, 1]),
        optimizer,
        computeLosses: viaTaskGradients.losses,
        variables: viaTaskGradients.variables,
        shared: viaTaskGradients.shared,
      });
      trainStep({
        strategy: fixedGradientSum([0, 0]),
        optimizer,
        computeLosses: frozenShared.losses,
        variables: frozenShared.variables,
        shared: frozenShared.shared,
      });
    }
    expect(tf.memory().numTensors).toBe(before);
    // The sum of the task gradients is the gradient of the sum: the same training.
    const expected = reference.snapshot();
    const actual = viaTaskGradients.snapshot();
    for (const key of Object.keys(expected)) expectClose(actual[key]!, expected[key]!, 5);
    // A zero direction leaves the shared parameters alone while the heads still learn.
    const frozen = frozenShared.snapshot();
    expect(frozen['shared.kernel']).toEqual(initial['shared.kernel']);
    expect(frozen['shared.bias']).toEqual(initial['shared.bias']);
    expect(frozen['regression.kernel']).not.toEqual(initial['regression.kernel']);
    expect(frozen['classification.kernel']).not.toEqual(initial['classification.kernel']);
    for (const disposable of [uniform, optimizer, reference, viaTaskGradients, frozenShared]) disposable.dispose();
  });

  it('refuses a returned gradient for a parameter outside the scope', () => {
    const model = new TinyMultiTaskModel(7);
    const optimizer = tf.train.sgd(0.1);
    const strategy = { ...fixedGradientSum([1, 1]), useTaskGradients: () => ({ nonsense: tf.scalar(0) }) };
    const before = tf.memory().numTensors;
    expect(() =>
      trainStep({ strategy, optimizer, computeLosses: model.losses, variables: model.variables, shared: model.shared }),
    ).toThrow("trainStep: fixed-sum.useTaskGradients returned a gradient for unknown parameter 'nonsense'");
    expect(tf.memory().numTensors).toBe(before);
    expect(() => trainStep({ strategy, optimizer, computeLosses: model.losses })).toThrow(
      "trainStep: strategy 'fixed-sum' needs per-task gradients of the shared parameters; pass option 'shared'",
    );
    optimizer.dispose();
    model.dispose();
  });
});

describe('trainStep', () => {
  it('clips the global gradient norm', () => {
    const clipped = new TinyMultiTaskModel(8);
    const free = new TinyMultiTaskModel(8);
    const strategy = createStrategy('static', { tasks: [...TASKS], weights: [10, 10] });
    const optimizer = tf.train.sgd(1);
    const initial = clipped.snapshot();
    trainStep({ strategy, optimizer, computeLosses: clipped.losses, variables: clipped.variables, clipNorm: 0.01 });
    trainStep({ strategy, optimizer, computeLosses: free.losses, variables: free.variables });
    const squaredDistance = (a: Record<string, number[]>) =>
      Object.keys(initial).reduce(
        (sum, key) => sum + a[key]!.reduce((s, v, i) => s + (v - initial[key]![i]!) ** 2, 0),
        0,
      );
    expect(Math.sqrt(squaredDistance(clipped.snapshot()))).toBeCloseTo(0.01, 5);
    expect(Math.sqrt(squaredDistance(free.snapshot()))).toBeGreaterThan(0.1);
    expect(() => trainStep({ strategy, optimizer, computeLosses: free.losses, clipNorm: 0 })).toThrow(
      "trainStep: option 'clipNorm' must be > 0, got 0",
    );
    for (const disposable of [optimizer, clipped, free]) disposable.dispose();
  });

  it('reports the step losses and the weights it used', () => {
    const model = new TinyMultiTaskModel(9);
    const strategy = createStrategy('softmax', { tasks: [...TASKS] });
    const optimizer = tf.train.sgd(0.5);
    const expectedLosses = tf.tidy(() =>
      Object.fromEntries(Object.entries(model.losses()).map(([k, v]) => [k, v.dataSync()[0]!])),
    );
    const result = trainStep({ strategy, optimizer, computeLosses: model.losses, variables: model.variables });
    expect(result.weights).toEqual({ regression: 0.5, classification: 0.5 });
    expectClose(Object.values(result.losses), Object.values(expectedLosses), 6);
    expect(result.loss).toBeCloseTo(0.5 * (expectedLosses.regression! + expectedLosses.classification!), 5);
    expect(strategy.weights()).not.toEqual(result.weights);
    strategy.dispose();
    optimizer.dispose();
    model.dispose();
  });
});
