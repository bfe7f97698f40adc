import { initBackend } from '@mtl/backend';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect } from 'vitest';
import type { TaskGradients, WeightingStrategy } from '../src/index.js';
import { SeededRandom } from '../src/random.js';

/** Every test file runs on the cpu backend with all gradients registered. */
export function useCpuBackend(): void {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });
}

export function scalars(values: readonly number[]): tf.Scalar[] {
  return values.map((value) => tf.scalar(value));
}

/** combine() on constant losses, as a number; disposes everything it made. */
export function combineValue(strategy: WeightingStrategy, losses: readonly number[]): number {
  return tf.tidy(() => strategy.combine(scalars(losses)).dataSync()[0] as number);
}

/** d combine / d L_i by automatic differentiation, for comparison with `weights()`. */
export function lossGradient(strategy: WeightingStrategy, losses: readonly number[]): number[] {
  return tf.tidy(() => {
    const gradient = tf.grad((vector: tf.Tensor) => strategy.combine(tf.unstack(vector) as tf.Scalar[]))(
      tf.tensor1d(losses as number[]),
    );
    return Array.from(gradient.dataSync());
  });
}

/** Trains only the strategy's own variables on constant losses with the host optimiser. */
export function minimizeOnConstantLosses(
  strategy: WeightingStrategy,
  losses: readonly number[],
  optimizer: tf.Optimizer,
  steps: number,
): void {
  for (let step = 0; step < steps; step++) {
    tf.tidy(() => {
      optimizer.minimize(() => strategy.combine(scalars(losses)), false, strategy.trainableVariables as tf.Variable[]);
    });
  }
}

export function expectClose(actual: readonly number[], expected: readonly number[], digits = 5): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((value, i) => {
    expect(value, `index ${i}`).toBeCloseTo(expected[i] as number, digits);
  });
}

/**
 * A tiny two-task network: a shared tanh layer (the last shared layer), a regression head
 * and a two-class head, on a fixed batch. Deterministic, so repeated forward passes agree.
 */
export class TinyMultiTaskModel {
  readonly shared: Record<string, tf.Variable>;
  readonly heads: Record<string, Record<string, tf.Variable>>;
  private readonly inputs = tf.tensor2d([
    [0.5, -1.0, 0.25],
    [1.5, 0.3, -0.7],
    [-0.2, 0.8, 1.1],
    [0.9, -0.4, 0.6],
  ]);
  private readonly targets = tf.tensor2d([[0.3], [-0.8], [1.2], [0.1]]);
  private readonly labels = tf.tensor2d([
    [1, 0],
    [0, 1],
    [0, 1],
    [1, 0],
  ]);

  /** The same seed gives the same initial parameters. */
  constructor(seed = 1) {
    const init = (name: string, shape: number[]) =>
      tf.variable(tf.randomUniform(shape, -0.8, 0.8, 'float32', seed * 100 + name.length * 7 + shape[0]!), true);
    this.shared = { kernel: init('shared.kernel', [3, 4]), bias: init('shared.bias', [4]) };
    this.heads = {
      regression: { kernel: init('regression.kernel', [4, 1]) },
      classification: { kernel: init('classification.kernel', [4, 2]) },
    };
  }

  get variables(): tf.Variable[] {
    return [...Object.values(this.shared), ...Object.values(this.heads).flatMap((head) => Object.values(head))];
  }

  /** The current parameter values, by name. */
  snapshot(): Record<string, number[]> {
    return {
      'shared.kernel': Array.from(this.shared.kernel!.dataSync()),
      'shared.bias': Array.from(this.shared.bias!.dataSync()),
      'regression.kernel': Array.from(this.heads.regression!.kernel!.dataSync()),
      'classification.kernel': Array.from(this.heads.classification!.kernel!.dataSync()),
    };
  }

  /** The shared trunk: the representation the heads read. */
  encode = (): tf.Tensor2D =>
    tf.tanh(tf.add(tf.matMul(this.inputs, this.shared.kernel as tf.Tensor2D), this.shared.bias!)) as tf.Tensor2D;

  /** The task heads and their losses on a representation. */
  decode = (representation: tf.Tensor): Record<string, tf.Scalar> => {
    const hidden = representation as tf.Tensor2D;
    const predicted = tf.matMul(hidden, this.heads.regression!.kernel as tf.Tensor2D);
    const logits = tf.matMul(hidden, this.heads.classification!.kernel as tf.Tensor2D);
    return {
      regression: tf.losses.meanSquaredError(this.targets, predicted) as tf.Scalar,
      classification: tf.losses.softmaxCrossEntropy(this.labels, logits) as tf.Scalar,
    };
  };

  losses = (): Record<string, tf.Scalar> => this.decode(this.encode());

  dispose(): void {
    tf.dispose([this.inputs, this.targets, this.labels, ...this.variables]);
  }
}

export const TASKS = ['regression', 'classification'] as const;

/** A rows x cols matrix of seeded standard-normal numbers times `scale`. */
export function randomMatrix(rows: number, cols: number, seed: number, scale = 1): number[][] {
  const random = new SeededRandom(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => scale * random.normal()));
}

/**
 * A gradient-based method written against the contract alone: it sends each shared
 * parameter sum_i weights_i g_i, fixed weights that do not depend on the gradients.
 */
export function fixedGradientSum(weights: readonly number[]): WeightingStrategy {
  const tasks = [...TASKS];
  return {
    method: 'fixed-sum',
    tasks,
    needs: { taskGradients: 'shared', lossesAfterStep: false },
    trainableVariables: [],
    beforeStep() {},
    combine: (losses) => tf.tidy(() => tf.addN(Object.values(losses) as tf.Scalar[]) as tf.Scalar),
    useTaskGradients(taskGradients: TaskGradients) {
      const keys = Object.keys(taskGradients[tasks[0]!]!.gradients);
      return Object.fromEntries(
        keys.map((key) => [
          key,
          tf.tidy(() => tf.addN(tasks.map((task, i) => tf.mul(taskGradients[task]!.gradients[key]!, weights[i]!)))),
        ]),
      );
    },
    afterStep() {},
    endEpoch() {},
    weights: () => Object.fromEntries(tasks.map((task, i) => [task, weights[i]!])),
    state: () => ({ method: 'fixed-sum', tasks, options: {}, data: {} }),
    restore() {},
    dispose() {},
  };
}

/** Adam written out in float64 (PyTorch's update, L2 decay added to the gradient), the oracle for the learned-weight tests. */
export function adamReference(
  start: readonly number[],
  gradients: (params: number[]) => number[],
  steps: number,
  { learningRate, weightDecay = 0 }: { learningRate: number; weightDecay?: number },
  project: (params: number[]) => number[] = (p) => p,
): number[][] {
  let params = [...start];
  let m = params.map(() => 0);
  let v = params.map(() => 0);
  const trajectory: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    const g = gradients(params).map((gi, i) => gi + weightDecay * params[i]!);
    m = m.map((mi, i) => 0.9 * mi + 0.1 * g[i]!);
    v = v.map((vi, i) => 0.999 * vi + 0.001 * g[i]! ** 2);
    params = project(
      params.map(
        (p, i) => p - (learningRate * (m[i]! / (1 - 0.9 ** t))) / (Math.sqrt(v[i]! / (1 - 0.999 ** t)) + 1e-8),
      ),
    );
    trajectory.push(params);
  }
  return trajectory;
}
