import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createStrategy, type StrategyName, type TaskGradients, type WeightingStrategy } from '../src/index.js';
import { expectClose, randomMatrix, useCpuBackend } from './helpers.js';

useCpuBackend();

/** The rows of J as one-parameter task gradients; the direction and weights a strategy makes of them. */
function aggregate(strategy: WeightingStrategy, rows: number[][], losses?: number[]) {
  const taskGradients: TaskGradients = Object.fromEntries(
    strategy.tasks.map((task, i) => [
      task,
      { loss: tf.scalar(losses?.[i] ?? 1), gradients: { w: tf.tensor1d(rows[i]!) } },
    ]),
  );
  try {
    const direction = strategy.useTaskGradients(taskGradients);
    const values = Array.from(direction.w!.dataSync());
    tf.dispose(Object.values(direction));
    return { direction: values, weights: Object.values(strategy.weights()) };
  } finally {
    for (const { loss, gradients } of Object.values(taskGradients)) tf.dispose([loss, ...Object.values(gradients)]);
  }
}

const J = [
  [-4, 1, 1],
  [6, 1, 1],
];
const tasksOf = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);
const make = (name: string, n: number, options: Record<string, unknown> = {}) =>
  createStrategy(name, { tasks: tasksOf(n), ...options });
const jacobianTimes = (rows: number[][], weights: number[]) =>
  rows[0]!.map((_, k) => rows.reduce((sum, row, i) => sum + weights[i]! * row[k]!, 0));
const dotRow = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe("torchjd's published values for J = [[-4, 1, 1], [6, 1, 1]]", () => {
  const cases: [string, Record<string, unknown>, number[], number[] | undefined][] = [
    // torchjd >= 0.5 (trace normalisation, ridge 1e-4), our defaults.
    ['upgrad', {}, [0.2929, 1.9004, 1.9004], [1.1109, 0.7894]],
    // torchjd's DualProj example predates its ridge (an iterative solver without one): regEps 0.
    ['dualproj', { regEps: 0 }, [0.5556, 1.1111, 1.1111], undefined],
    ['mgda', {}, [0, 1, 1], undefined],
    ['cagrad', { c: 0.5, rescale: 0 }, [0.1835, 1.2041, 1.2041], undefined],
    ['imtl-g', {}, [0.0767, 1, 1], [0.5923, 0.4077]],
    ['aligned-mtl', {}, [0.2133, 0.9673, 0.9673], undefined],
    ['nash-mtl', {}, [0.0542, 0.7061, 0.7061], undefined],
    ['pcgrad', {}, [0.5848, 3.8012, 3.8012], undefined],
  ];
  it.each(cases)('%s %j', (name, options, direction, weights) => {
    const result = aggregate(make(name, 2, options), J);
    result.direction.forEach((x, i) => {
      expect(Math.abs(x - direction[i]!)).toBeLessThanOrEqual(1e-4);
    });
    result.weights.forEach((w, i) => {
      if (weights) expect(Math.abs(w - weights[i]!)).toBeLessThanOrEqual(1e-4);
    });
  });

  it('gradvac: with its targets at 0 the first step is PCGrad (torchjd documents the same for target 0)', () => {
    expectClose(aggregate(make('gradvac', 2), J).direction, [0.5848, 3.8012, 3.8012], 4);
  });

  it('cagrad rescales by 1 + c^2 by default (the authors) and 1 + c on request', () => {
    const base = aggregate(make('cagrad', 2, { rescale: 0 }), J).direction;
    expectClose(
      aggregate(make('cagrad', 2), J).direction,
      base.map((x) => x / 1.25),
      6,
    );
    expectClose(
      aggregate(make('cagrad', 2, { rescale: 2 }), J).direction,
      base.map((x) => x / 1.5),
      6,
    );
  });
});

/** The methods whose weights come from this step's Gramian (the others keep T x P state). */
const GRAMIAN_METHODS: StrategyName[] = [
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
];

describe.each(GRAMIAN_METHODS)('%s on random Jacobians', (name) => {
  it('returns J^T weights, finite, for T = 1 to 6', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const n = 1 + (seed % 6);
      const rows = randomMatrix(n, 7, seed);
      const { direction, weights } = aggregate(make(name, n), rows);
      expect(weights.every(Number.isFinite)).toBe(true);
      expectClose(direction, jacobianTimes(rows, weights), 4);
    }
  });

  it('is invariant to the order of the tasks', () => {
    for (let seed = 1; seed <= 6; seed++) {
      const n = name === 'pcgrad' || name === 'gradvac' ? 2 : 2 + (seed % 5);
      const rows = randomMatrix(n, 6, seed + 50);
      const permutation = rows.map((_, i) => ((i * 2 + 1) % n === i ? (i + 1) % n : (i * 2 + 1) % n));
      const unique = new Set(permutation).size === n ? permutation : [...rows.keys()].reverse();
      const original = aggregate(make(name, n), rows);
      const permuted = aggregate(
        make(name, n),
        unique.map((i) => rows[i]!),
      );
      expectClose(permuted.direction, original.direction, 4);
      expectClose(
        permuted.weights,
        unique.map((i) => original.weights[i]!),
        4,
      );
    }
  });

  it('leaves no tensors behind and rejects a NaN gradient, naming the tasks', () => {
    const strategy = make(name, 3);
    const before = tf.memory().numTensors;
    aggregate(strategy, randomMatrix(3, 4, 9));
    expect(tf.memory().numTensors).toBe(before);
    const rows = randomMatrix(3, 4, 10);
    rows[1]![2] = Number.NaN;
    expect(() => aggregate(strategy, rows)).toThrow(/tasks 't0' and 't1' have a non-finite inner product/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('handles zero and identical gradients without NaN', () => {
    const zero = aggregate(make(name, 3), [
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    expect(zero.direction.every(Number.isFinite)).toBe(true);
    expect(zero.weights.every(Number.isFinite)).toBe(true);
    const same = aggregate(make(name, 3), [
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    expect(same.direction.every(Number.isFinite)).toBe(true);
    // Identical gradients never conflict: the direction points along them (or is zero).
    expect(dotRow(same.direction, [1, 2])).toBeGreaterThanOrEqual(0);
  });
});

describe('scaling behaviour', () => {
  const rows = randomMatrix(4, 6, 21);
  const scaled = (s: number) => rows.map((row) => row.map((x) => x * s));
  it.each(['pcgrad', 'mgda', 'cagrad', 'imtl-g', 'aligned-mtl', 'upgrad', 'dualproj', 'gradvac'] as const)(
    '%s: the weights do not depend on the scale of the gradients',
    (name) => {
      const base = aggregate(make(name, 4), rows).weights;
      // Above normEps (1e-4 on the trace) and where eps = 1e-8 in GradVac's denominators is negligible.
      for (const s of [0.1, 1e3]) expectClose(aggregate(make(name, 4), scaled(s)).weights, base, 4);
    },
  );

  it('nash-mtl: scale-free weights before the clip, which caps the norm at maxNorm', () => {
    const free = (s: number) => aggregate(make('nash-mtl', 4, { maxNorm: 0 }), scaled(s)).weights;
    expectClose(free(1e3), free(1), 5);
    const clipped = aggregate(make('nash-mtl', 4), scaled(1e3)).direction;
    expect(Math.sqrt(dotRow(clipped, clipped))).toBeCloseTo(1, 4);
  });

  it('fairgrad: weights scale as s^(-2 alpha / (alpha + 1)) when the gradients scale by s', () => {
    for (const alpha of [0.5, 1, 2]) {
      const base = aggregate(make('fairgrad', 4, { alpha }), rows).weights;
      const big = aggregate(make('fairgrad', 4, { alpha }), scaled(10)).weights;
      expectClose(
        big,
        base.map((w) => w * 10 ** ((-2 * alpha) / (alpha + 1))),
        5,
      );
    }
    expect(aggregate(make('fairgrad', 4, { alpha: 0 }), rows).weights).toEqual([0.25, 0.25, 0.25, 0.25]);
  });
});

describe('conflict-free methods', () => {
  it('upgrad and dualproj never conflict with a task: J d >= 0', () => {
    for (let seed = 1; seed <= 25; seed++) {
      const n = 2 + (seed % 7);
      const rows = randomMatrix(n, n + 3, seed + 200);
      for (const name of ['upgrad', 'dualproj']) {
        const { direction } = aggregate(make(name, n, { regEps: 1e-9 }), rows);
        const scale = rows.reduce((s, row) => s + dotRow(row, row), 0);
        for (const row of rows) expect(dotRow(row, direction)).toBeGreaterThanOrEqual(-1e-6 * scale);
      }
    }
  });

  it('mgda: the direction has non-negative inner product with every task gradient', () => {
    for (let seed = 1; seed <= 25; seed++) {
      const n = 2 + (seed % 7);
      const rows = randomMatrix(n, 3 + (seed % 4), seed + 300);
      const { direction } = aggregate(make('mgda', n), rows);
      const norm = dotRow(direction, direction);
      for (const row of rows) expect(dotRow(row, direction)).toBeGreaterThanOrEqual(norm - 1e-4 * (1 + norm));
    }
  });

  it('pcgrad: a projected pair no longer conflicts; fixed order and mean on request', () => {
    const { direction, weights } = aggregate(make('pcgrad', 2, { reduction: 'mean', order: 'fixed' }), J);
    expectClose(direction, [0.5848 / 2, 3.8012 / 2, 3.8012 / 2], 4);
    expectClose(weights, [(1 + 22 / 18) / 2, (1 + 22 / 38) / 2], 6);
  });

  it('mgda normalises by the gradient norm, the loss or both', () => {
    const norms = J.map((row) => Math.sqrt(dotRow(row, row)));
    const l2 = aggregate(make('mgda', 2, { normalization: 'l2' }), J);
    // The min-norm point of the unit gradients, combined from the normalised gradients.
    const unit = J.map((row, i) => row.map((x) => x / norms[i]!));
    const expected = aggregate(make('mgda', 2), unit);
    expectClose(l2.direction, expected.direction, 6);
    const losses = [2, 0.5];
    const byLoss = aggregate(make('mgda', 2, { normalization: 'loss' }), J, losses);
    const divided = aggregate(
      make('mgda', 2),
      J.map((row, i) => row.map((x) => x / losses[i]!)),
    );
    expectClose(byLoss.direction, divided.direction, 6);
  });
});

describe('stateful gramian methods', () => {
  it('gradvac raises a low cosine toward its target and keeps the targets as EMA', () => {
    const strategy = make('gradvac', 2, { beta: 0.5 });
    const aligned = [
      [1, 0.2],
      [1, -0.2],
    ];
    // First step: targets 0, cosine positive: no change, sum of gradients.
    expectClose(aggregate(strategy, aligned).direction, [2, 0], 9);
    // Now conflicting gradients: cosine < target > 0, so each is pulled toward the other.
    const conflicting = [
      [1, 1],
      [-1, 1],
    ];
    const { direction } = aggregate(strategy, conflicting);
    expect(direction[1]!).toBeGreaterThan(2);
    const state = strategy.state();
    const resumed = createStrategy('gradvac', { tasks: tasksOf(2), beta: 0.5 });
    resumed.restore(JSON.parse(JSON.stringify(state)));
    expectClose(aggregate(resumed, conflicting).direction, aggregate(strategy, conflicting).direction, 9);
  });

  it('nash-mtl reuses its weights between updates with updateWeightsEvery', () => {
    const strategy = make('nash-mtl', 2, { updateWeightsEvery: 2, maxNorm: 0 });
    const first = aggregate(strategy, J).weights;
    const second = aggregate(strategy, [
      [1, 0, 0],
      [0, 1, 0],
    ]).weights;
    expect(second).toEqual(first);
    const third = aggregate(strategy, [
      [1, 0, 0],
      [0, 1, 0],
    ]).weights;
    // G = I, normalised by its Frobenius norm sqrt(2): alpha_i^2 / sqrt(2) = 1.
    expectClose(third, [2 ** 0.25, 2 ** 0.25], 6);
  });
});
