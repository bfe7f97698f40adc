import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  backward,
  createStrategy,
  REPRESENTATION_KEY,
  type TaskGradients,
  type TaskLosses,
  trainStep,
} from '../src/index.js';
import { expectClose, fixedGradientSum, TASKS, TinyMultiTaskModel, useCpuBackend } from './helpers.js';

useCpuBackend();

const tasks = [...TASKS];

/** computeLosses that counts its calls and can be told to throw on the n-th. */
function counting(model: TinyMultiTaskModel, throwOn?: number) {
  const counter = {
    calls: 0,
    computeLosses: (): TaskLosses => {
      counter.calls += 1;
      if (counter.calls === throwOn) {
        // Make tensors first, as a real forward pass that fails halfway would.
        model.losses();
        throw new Error('forward pass failed');
      }
      return model.losses();
    },
  };
  return counter;
}

const numbers = (map: tf.NamedTensorMap) =>
  Object.fromEntries(Object.entries(map).map(([name, t]) => [name, Array.from(t.dataSync())]));

describe('the host: backward passes', () => {
  it.each([
    ['static', 1],
    ['upgrad', 2],
    ['gradnorm', 2],
    ['famo', 2],
  ])('%s runs computeLosses %i time(s) per step', (name, calls) => {
    const model = new TinyMultiTaskModel(11);
    const strategy = createStrategy(name, { tasks });
    const optimizer = tf.train.sgd(0.1);
    const counter = counting(model);
    trainStep({
      strategy,
      optimizer,
      computeLosses: counter.computeLosses,
      variables: model.variables,
      shared: model.shared,
      lastSharedLayer: model.shared,
    });
    expect(counter.calls).toBe(calls);
    for (const d of [strategy, optimizer, model]) d.dispose();
  });

  it('frees every task gradient when a later task pass throws', () => {
    const model = new TinyMultiTaskModel(12);
    const strategy = createStrategy('mgda', { tasks });
    const optimizer = tf.train.sgd(0.1);
    const before = tf.memory().numTensors;
    const counter = counting(model, 2);
    expect(() =>
      trainStep({
        strategy,
        optimizer,
        computeLosses: counter.computeLosses,
        variables: model.variables,
        shared: model.shared,
      }),
    ).toThrow('forward pass failed');
    expect(tf.memory().numTensors).toBe(before);
    // The strategy is not left waiting: the next step runs.
    trainStep({ strategy, optimizer, computeLosses: model.losses, variables: model.variables, shared: model.shared });
    expect(tf.memory().numTensors).toBe(before);
    for (const d of [strategy, optimizer, model]) d.dispose();
  });

  it('leaves the strategy ready when the optimiser update throws', () => {
    const model = new TinyMultiTaskModel(19);
    const strategy = createStrategy('upgrad', { tasks });
    const failing = {
      applyGradients() {
        throw new Error('optimiser failed');
      },
    } as unknown as tf.Optimizer;
    const before = tf.memory().numTensors;
    const options = { strategy, computeLosses: model.losses, variables: model.variables, shared: model.shared };
    expect(() => trainStep({ ...options, optimizer: failing })).toThrow('optimiser failed');
    expect(tf.memory().numTensors).toBe(before);
    const optimizer = tf.train.sgd(0.1);
    trainStep({ ...options, optimizer });
    for (const d of [strategy, optimizer, model]) d.dispose();
  });

  it("reports a gradient method's weights of the step just computed", () => {
    const model = new TinyMultiTaskModel(13);
    const strategy = createStrategy('mgda', { tasks });
    const optimizer = tf.train.sgd(0.1);
    expect(strategy.weights()).toEqual({ regression: 0.5, classification: 0.5 });
    const result = trainStep({
      strategy,
      optimizer,
      computeLosses: model.losses,
      variables: model.variables,
      shared: model.shared,
    });
    expect(result.weights).toEqual(strategy.weights());
    expect(result.weights).not.toEqual({ regression: 0.5, classification: 0.5 });
    for (const d of [strategy, optimizer, model]) d.dispose();
  });
});

describe('backward: the combined gradients for any optimiser', () => {
  it('gives the gradients trainStep applies, for an optimiser of your choice', () => {
    const viaBackward = new TinyMultiTaskModel(14);
    const viaTrainStep = new TinyMultiTaskModel(14);
    const adamA: tf.Optimizer = tf.train.adam(0.01);
    const adamB = tf.train.adam(0.01);
    const strategyA = createStrategy('upgrad', { tasks });
    const strategyB = createStrategy('upgrad', { tasks });
    for (let step = 0; step < 3; step++) {
      const result = backward({
        strategy: strategyA,
        computeLosses: viaBackward.losses,
        variables: viaBackward.variables,
        shared: viaBackward.shared,
      });
      expect(Object.keys(result.grads).sort()).toEqual(viaBackward.variables.map((v) => v.name).sort());
      adamA.applyGradients(result.grads);
      tf.dispose(Object.values(result.grads));
      result.afterUpdate();
      trainStep({
        strategy: strategyB,
        optimizer: adamB,
        computeLosses: viaTrainStep.losses,
        variables: viaTrainStep.variables,
        shared: viaTrainStep.shared,
      });
    }
    expect(viaBackward.snapshot()).toEqual(viaTrainStep.snapshot());
    for (const d of [adamA, adamB, viaBackward, viaTrainStep, strategyA, strategyB]) d.dispose();
  });

  it('insists on afterUpdate() once per step', () => {
    const model = new TinyMultiTaskModel(15);
    const strategy = createStrategy('famo', { tasks });
    const options = { strategy, computeLosses: model.losses, variables: model.variables };
    const result = backward(options);
    tf.dispose(Object.values(result.grads));
    expect(() => backward(options)).toThrow(
      "backward: strategy 'famo' is still waiting for afterUpdate() of its previous step",
    );
    result.afterUpdate();
    expect(() => result.afterUpdate()).toThrow('backward: afterUpdate() of this step was already called');
    strategy.dispose();
    model.dispose();
  });
});

describe('representation mode', () => {
  it('is exact for a method whose weights do not depend on the gradients', () => {
    const model = new TinyMultiTaskModel(16);
    const strategy = fixedGradientSum([0.3, 1.7]);
    const before = tf.memory().numTensors;
    const parameters = backward({
      strategy,
      computeLosses: model.losses,
      variables: model.variables,
      shared: model.shared,
    });
    const expected = numbers(parameters.grads);
    tf.dispose(Object.values(parameters.grads));
    parameters.afterUpdate();
    const representation = backward({
      strategy,
      computeLosses: model.losses,
      variables: model.variables,
      shared: model.shared,
      representation: { encode: model.encode, decode: model.decode },
    });
    const actual = numbers(representation.grads);
    tf.dispose(Object.values(representation.grads));
    representation.afterUpdate();
    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
    for (const name of Object.keys(expected)) expectClose(actual[name]!, expected[name]!, 5);
    expectClose(Object.values(representation.losses), Object.values(parameters.losses), 6);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it("pulls a gradient method's direction for the representation back through the trunk", () => {
    const model = new TinyMultiTaskModel(17);
    const strategy = createStrategy('upgrad', { tasks });
    const reference = createStrategy('upgrad', { tasks });
    const before = tf.memory().numTensors;
    const result = backward({
      strategy,
      computeLosses: model.losses,
      variables: model.variables,
      shared: model.shared,
      representation: { encode: model.encode, decode: model.decode },
    });
    const actual = numbers(result.grads);
    tf.dispose(Object.values(result.grads));
    result.afterUpdate();
    // The same by hand: per-task gradients of the representation, UPGrad, one pullback.
    const expected = tf.tidy(() => {
      const z = model.encode();
      const taskGradients: TaskGradients = Object.fromEntries(
        tasks.map((task) => {
          const { value, grad } = tf.valueAndGrad((h: tf.Tensor) => model.decode(h)[task]!)(z);
          return [task, { loss: value as tf.Scalar, gradients: { [REPRESENTATION_KEY]: grad } }];
        }),
      );
      const direction = reference.useTaskGradients(taskGradients)[REPRESENTATION_KEY]!;
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.mul(model.encode(), direction)),
        Object.values(model.shared),
      );
      value.dispose();
      return numbers(grads);
    });
    for (const variable of Object.values(model.shared))
      expectClose(actual[variable.name]!, expected[variable.name]!, 5);
    expect(result.weights).toEqual(reference.weights());
    // The heads train on their own task's loss, as in parameter mode.
    const head = model.heads.regression!.kernel!;
    const own = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => model.losses().regression!, [head]);
      value.dispose();
      return Array.from(grads[head.name]!.dataSync());
    });
    expectClose(actual[head.name]!, own, 5);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('refuses methods it does not fit, with the reason', () => {
    const model = new TinyMultiTaskModel(18);
    const representation = { encode: model.encode, decode: model.decode };
    const options = { computeLosses: model.losses, variables: model.variables, shared: model.shared, representation };
    expect(() => backward({ ...options, strategy: createStrategy('gradnorm', { tasks }) })).toThrow(
      "backward: representation mode is for gradient methods (needs.taskGradients 'shared'); 'gradnorm' asks for 'last-shared-layer'",
    );
    model.dispose();
  });
});

describe('memory of the per-task gradients', () => {
  it('the Gramian path holds the T task gradients and the direction, no stacked copy', async () => {
    const tasksOf = ['a', 'b', 'c', 'd'];
    const inputs = tf.randomNormal([4, 200], 0, 1, 'float32', 1);
    const kernel = tf.variable(tf.randomNormal([200, 200], 0, 0.05, 'float32', 2));
    const heads = tasksOf.map((_, i) => tf.variable(tf.randomNormal([200, 1], 0, 0.05, 'float32', 3 + i)));
    const computeLosses = () => {
      const hidden = tf.tanh(tf.matMul(inputs, kernel));
      return heads.map((head, i) => tf.mean(tf.square(tf.sub(tf.matMul(hidden, head), i))) as tf.Scalar);
    };
    const peak = async (name: string) => {
      const strategy = createStrategy(name, { tasks: tasksOf });
      const run = () => {
        const result = backward({ strategy, computeLosses, variables: [kernel, ...heads], shared: { kernel } });
        tf.dispose(Object.values(result.grads));
        result.afterUpdate();
      };
      run();
      const before = tf.memory().numBytes;
      const info = await tf.profile(run);
      strategy.dispose();
      return info.peakBytes - before;
    };
    const parameterBytes = 200 * 200 * 4;
    const gramianPath = await peak('upgrad');
    // T task gradients, the direction, and the temporaries of one backward pass.
    expect(gramianPath).toBeLessThan((tasksOf.length + 4) * parameterBytes);
    expect(gramianPath).toBeGreaterThan(tasksOf.length * parameterBytes);
    // The Jacobian path stacks J and updates its T x P state: more.
    expect(await peak('moco')).toBeGreaterThan(gramianPath + tasksOf.length * parameterBytes);
    tf.dispose([inputs, kernel, ...heads]);
  });
});
