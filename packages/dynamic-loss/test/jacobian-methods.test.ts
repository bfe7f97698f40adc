import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { backward, createStrategy, restoreStrategy, type TaskGradients, type WeightingStrategy } from '../src/index.js';
import { decodeTensor, encodeTensor } from '../src/state-data.js';
import { expectClose, randomMatrix, TASKS, TinyMultiTaskModel, useCpuBackend } from './helpers.js';

useCpuBackend();

const tasks = ['a', 'b'];

/** Two parameters' gradients per task: a 2 x 2 matrix and a 3-vector, from rows of 7 numbers. */
function aggregate(strategy: WeightingStrategy, rows: number[][], losses = [1, 1]) {
  const taskGradients: TaskGradients = Object.fromEntries(
    strategy.tasks.map((task, i) => [
      task,
      {
        loss: tf.scalar(losses[i]!),
        gradients: { m: tf.tensor2d(rows[i]!.slice(0, 4), [2, 2]), v: tf.tensor1d(rows[i]!.slice(4)) },
      },
    ]),
  );
  try {
    const direction = strategy.useTaskGradients(taskGradients);
    const values = [...direction.m!.dataSync(), ...direction.v!.dataSync()];
    tf.dispose(Object.values(direction));
    return { direction: values, weights: Object.values(strategy.weights()) };
  } finally {
    for (const { loss, gradients } of Object.values(taskGradients)) tf.dispose([loss, ...Object.values(gradients)]);
  }
}

const rowsAt = (step: number) => randomMatrix(2, 7, 40 + step);
const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe('the T x P state', () => {
  it('encodes a float32 tensor bit for bit as base64', () => {
    const values = new Float32Array([0.1, -0, 1e-45, 3.4028234663852886e38, -2.5, Math.PI, 1 / 3]);
    const tensor = tf.tensor(values, [7]);
    const encoded = encodeTensor(tensor);
    expect(encoded.base64).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const decoded = decodeTensor(JSON.parse(JSON.stringify(encoded)), 'x');
    const bytes = decoded.dataSync() as Float32Array;
    expect(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toEqual(new Uint8Array(values.buffer));
    for (const length of [1, 2, 3, 4, 5]) {
      const t = tf.tensor(
        new Float32Array(length).map((_, i) => i + 0.5),
        [length],
      );
      const back = decodeTensor(encodeTensor(t), 'x');
      expect(Array.from(back.dataSync())).toEqual(Array.from(t.dataSync()));
      tf.dispose([t, back]);
    }
    expect(() => decodeTensor({ dtype: 'float32', shape: [3], base64: 'AAAA' }, 'state.x')).toThrow(
      'state.x holds 3 bytes, shape [3] needs 12',
    );
    expect(() => decodeTensor({ dtype: 'float32', shape: [1], base64: 'AA*A' }, 'state.x')).toThrow(
      'state.x is not base64: character "*" at 2',
    );
    expect(() => decodeTensor([1, 2], 'state.x')).toThrow(
      "state.x must be an encoded tensor {dtype: 'float32', shape, base64}",
    );
    tf.dispose([tensor, decoded]);
  });

  it.each(['moco', 'db-mtl', 'excess-mtl'])(
    '%s saves and restores exactly through JSON, without JSON numbers for the tensors',
    (name) => {
      const original = createStrategy(name, { tasks });
      for (let step = 0; step < 3; step++) aggregate(original, rowsAt(step), [0.9 - step * 0.1, 0.5]);
      const json = JSON.stringify(original.state());
      const data = JSON.parse(json).data;
      const [tensorName] = Object.keys(data.tensors);
      expect(typeof data.tensors[tensorName!].m.base64).toBe('string');
      expect(data.tensors[tensorName!].m.shape).toEqual([2, 2, 2]);
      const resumed = restoreStrategy(JSON.parse(json));
      expect(resumed.state()).toEqual(original.state());
      for (let step = 3; step < 6; step++) {
        const a = aggregate(original, rowsAt(step), [0.5, 0.4]);
        const b = aggregate(resumed, rowsAt(step), [0.5, 0.4]);
        expect(b.direction).toEqual(a.direction);
        expect(b.weights).toEqual(a.weights);
      }
      const before = tf.memory().numTensors;
      resumed.dispose();
      original.dispose();
      expect(tf.memory().numTensors).toBe(before - 4 * Object.keys(data.tensors).length);
    },
  );

  it('refuses a state for another model, and a broken one, without leaking', () => {
    const strategy = createStrategy('moco', { tasks });
    aggregate(strategy, rowsAt(0));
    const state = JSON.parse(JSON.stringify(strategy.state()));
    const before = tf.memory().numTensors;
    const broken = {
      ...state,
      data: {
        ...state.data,
        tensors: {
          tracked: { m: state.data.tensors.tracked.m, v: { dtype: 'float32', shape: [2, 3], base64: 'AAAA' } },
        },
      },
    };
    expect(() => restoreStrategy(broken)).toThrow(
      'moco.restore: state.data.tensors.tracked.v holds 3 bytes, shape [2,3] needs 24',
    );
    expect(tf.memory().numTensors).toBe(before);
    const other = createStrategy('moco', { tasks });
    other.restore(state);
    const wrongShape: TaskGradients = Object.fromEntries(
      tasks.map((task) => [task, { loss: tf.scalar(1), gradients: { m: tf.zeros([3, 3]), v: tf.zeros([3]) } }]),
    );
    expect(() => other.useTaskGradients(wrongShape)).toThrow(
      "moco.useTaskGradients: its state for parameter 'm' has shape [2,2,2], the gradients need [2,3,3]; was it saved for another model?",
    );
    for (const { loss, gradients } of Object.values(wrongShape)) tf.dispose([loss, ...Object.values(gradients)]);
    for (const s of [strategy, other]) s.dispose();
  });

  it.each(['moco', 'db-mtl', 'excess-mtl'])('%s refuses representation mode', (name) => {
    const model = new TinyMultiTaskModel(30);
    expect(() =>
      backward({
        strategy: createStrategy(name, { tasks: [...TASKS] }),
        computeLosses: model.losses,
        shared: model.shared,
        representation: { encode: model.encode, decode: model.decode },
      }),
    ).toThrow(
      `backward: '${name}' cannot run in representation mode: its state holds one tensor per task over the shared parameters`,
    );
    model.dispose();
  });
});

describe('moco (Fernando et al. 2023)', () => {
  it('tracks the gradients and takes softmax steps on Y Y^T, as torchjd', () => {
    const strategy = createStrategy('moco', { tasks });
    const g = [
      [1, 0, 0, 0, 0, 0, 0],
      [0, 2, 0, 0, 0, 0, 0],
    ];
    // Step 1: beta_1 = 0.5, Y = 0.5 J; Y Y^T = diag(0.25, 1); lambda = softmax(0.5 - 0.1 (0.125, 0.5)).
    let lambda = [0.5 - 0.1 * 0.125, 0.5 - 0.1 * 0.5];
    let z = lambda.map(Math.exp);
    lambda = z.map((x) => x / (z[0]! + z[1]!));
    const first = aggregate(strategy, g);
    expectClose(first.weights, lambda, 6);
    expectClose(first.direction, [0.5 * lambda[0]!, lambda[1]!, 0, 0, 0, 0, 0], 6);
    // Step 2: beta_2 = 0.5 / sqrt(2), gamma_2 = 0.1 / sqrt(2); the same J.
    const b = 0.5 / Math.SQRT2;
    const y = [0.5 + b * 0.5, 1 + b * 1];
    const c = 0.1 / Math.SQRT2;
    const moved = [lambda[0]! - c * y[0]! ** 2 * lambda[0]!, lambda[1]! - c * y[1]! ** 2 * lambda[1]!];
    z = moved.map(Math.exp);
    const second = aggregate(strategy, g);
    expectClose(
      second.weights,
      z.map((x) => x / (z[0]! + z[1]!)),
      6,
    );
    expectClose(second.direction.slice(0, 2), [y[0]! * second.weights[0]!, y[1]! * second.weights[1]!], 6);
    strategy.dispose();
  });
});

describe('db-mtl (Lin et al. 2023)', () => {
  it('trains on log losses and gives every buffered log-gradient the largest norm', () => {
    const strategy = createStrategy('db-mtl', { tasks });
    const rows = [
      [3, 0, 0, 0, 0, 0, 0],
      [0, 0.1, 0, 0, 0, 0, 0],
    ];
    const losses = [2, 0.5];
    // Step 1: B = G (beta_1 (B - G) = -0.9 G ... B starts at 0: B = G + 0.9 (0 - G) = 0.1 G).
    const { direction, weights } = aggregate(strategy, rows, losses);
    const logGradients = rows.map((row, i) => row.map((x) => (0.1 * x) / (losses[i]! + 1e-8)));
    const norms = logGradients.map(norm);
    expectClose(
      weights,
      norms.map((n) => Math.max(...norms) / (n + 1e-8)),
      5,
    );
    // Both tasks contribute with the same norm.
    expect(Math.abs(direction[0]!)).toBeCloseTo(Math.abs(direction[1]!), 5);
    expect(Math.abs(direction[0]!)).toBeCloseTo(Math.max(...norms), 6);
    strategy.dispose();
  });

  it('rejects a negative loss', () => {
    const strategy = createStrategy('db-mtl', { tasks });
    expect(() => aggregate(strategy, rowsAt(1), [1, -1])).toThrow(
      "db-mtl.useTaskGradients: the loss of task 'b' must be >= 0 for its logarithm, got -1",
    );
    strategy.dispose();
  });
});

describe('excess-mtl (He et al. 2024)', () => {
  it('keeps uniform weights through the warm-up, then moves toward the task with the larger relative excess risk', () => {
    const strategy = createStrategy('excess-mtl', { tasks, warmupSteps: 1 });
    const rows = [
      [1, 0, 0, 0, 0, 0, 0],
      [0, 1, 0, 0, 0, 0, 0],
    ];
    expect(aggregate(strategy, rows).weights).toEqual([0.5, 0.5]);
    // Step 2: task a's gradient doubles: e_a = 4 / sqrt(5 + 1e-7), e_b = 1 / sqrt(2 + 1e-7); baseline e = 1 / sqrt(1 + 1e-7).
    const step2 = [
      [2, 0, 0, 0, 0, 0, 0],
      [0, 1, 0, 0, 0, 0, 0],
    ];
    const base = 1 / Math.sqrt(1 + 1e-7);
    const relative = [4 / Math.sqrt(5 + 1e-7) / (base + 1e-7), 1 / Math.sqrt(2 + 1e-7) / (base + 1e-7)];
    const z = relative.map((r) => 0.5 * Math.exp(r));
    const expected = z.map((x) => x / (z[0]! + z[1]!));
    const { weights, direction } = aggregate(strategy, step2);
    expectClose(weights, expected, 5);
    expectClose(direction.slice(0, 2), [2 * expected[0]!, expected[1]!], 5);
    strategy.dispose();
  });

  it('moves further with a larger step size', () => {
    const small = createStrategy('excess-mtl', { tasks, robustStepSize: 0.1 });
    const large = createStrategy('excess-mtl', { tasks, robustStepSize: 2 });
    for (const s of [small, large]) {
      aggregate(s, rowsAt(0));
      aggregate(s, rowsAt(1));
    }
    const spread = (s: WeightingStrategy) => Math.abs(Object.values(s.weights())[0]! - 0.5);
    expect(spread(large)).toBeGreaterThan(spread(small));
    for (const s of [small, large]) s.dispose();
  });
});

it('the jacobian methods keep directions finite and descend on a conflict-free pair', () => {
  for (const name of ['moco', 'db-mtl', 'excess-mtl']) {
    const strategy = createStrategy(name, { tasks });
    const rows = [
      [1, 0.5, 0, 0, 0.2, 0, 0],
      [0.8, 0.4, 0.1, 0, 0.2, 0, 0.1],
    ];
    const { direction } = aggregate(strategy, rows, [0.7, 0.3]);
    expect(direction.every(Number.isFinite)).toBe(true);
    for (const row of rows) expect(dot(row, direction)).toBeGreaterThan(0);
    strategy.dispose();
  }
});
