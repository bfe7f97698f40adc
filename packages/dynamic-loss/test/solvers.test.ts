import { describe, expect, it } from 'vitest';
import { conflictAverseWeights } from '../src/solvers/conflict-averse.js';
import { fairWeights } from '../src/solvers/fair-weights.js';
import { dot, type Matrix, matVec } from '../src/solvers/matrix.js';
import { minNormOnSimplex } from '../src/solvers/min-norm.js';
import { nonnegativeQuadratic, projectWeightsOntoDualCone } from '../src/solvers/nonnegative-qp.js';
import { minimizeOnSimplex } from '../src/solvers/simplex-minimize.js';
import { projectOntoSimplex } from '../src/solvers/simplex-projection.js';
import { pseudoInverse, symmetricEigen } from '../src/solvers/symmetric-eigen.js';
import { expectClose, randomMatrix } from './helpers.js';

const gramianOf = (rows: number[][]): Matrix => rows.map((a) => rows.map((b) => dot(a, b)));
const sum = (v: readonly number[]) => v.reduce((a, b) => a + b, 0);
const NAN_GRAMIAN = [
  [1, Number.NaN],
  [Number.NaN, 1],
];

describe('projectOntoSimplex', () => {
  it('matches closed forms and the KKT conditions', () => {
    expectClose(projectOntoSimplex([0.2, 0.8]), [0.2, 0.8], 12);
    expectClose(projectOntoSimplex([2, 0]), [1, 0], 12);
    expectClose(projectOntoSimplex([0, 0, 0]), [1 / 3, 1 / 3, 1 / 3], 12);
    expectClose(projectOntoSimplex([5]), [1], 12);
    for (let seed = 1; seed <= 20; seed++) {
      const v = randomMatrix(1, 6, seed, 3)[0]!;
      const w = projectOntoSimplex(v);
      expect(sum(w)).toBeCloseTo(1, 12);
      // v - w is a constant theta on the support and v_i <= theta off it.
      const theta = (v[w.findIndex((x) => x > 0)] as number) - (w[w.findIndex((x) => x > 0)] as number);
      w.forEach((wi, i) => {
        expect(wi).toBeGreaterThanOrEqual(0);
        if (wi > 0) expect(v[i]! - wi).toBeCloseTo(theta, 10);
        else expect(v[i]!).toBeLessThanOrEqual(theta + 1e-12);
      });
    }
  });

  it('rejects NaN', () => {
    expect(() => projectOntoSimplex([1, Number.NaN])).toThrow('projectOntoSimplex: entry 1 is NaN, not finite');
  });
});

describe('minNormOnSimplex', () => {
  it('matches the two-task closed form', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const g = gramianOf(randomMatrix(2, 5, seed));
      const [[a, b], [, c]] = g as [[number, number], [number, number]];
      const w1 = Math.min(1, Math.max(0, (c - b) / (a + c - 2 * b)));
      expectClose(minNormOnSimplex(g), [w1, 1 - w1], 6);
    }
    // torchjd's example: J = [[-4, 1, 1], [6, 1, 1]] has min-norm point [0, 1, 1] at w = (0.6, 0.4).
    expectClose(
      minNormOnSimplex(
        gramianOf([
          [-4, 1, 1],
          [6, 1, 1],
        ]),
      ),
      [0.6, 0.4],
      8,
    );
  });

  it('satisfies the KKT conditions on random Gramians', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const tasks = 2 + (seed % 7);
      const g = gramianOf(randomMatrix(tasks, 4 + (seed % 5), seed));
      const w = minNormOnSimplex(g);
      const gw = matVec(g, w);
      const norm = dot(w, gw);
      expect(sum(w)).toBeCloseTo(1, 12);
      w.forEach((wi, i) => {
        expect(wi).toBeGreaterThanOrEqual(0);
        // (G w)_i >= w^T G w, with equality where w_i > 0.
        expect(gw[i]!).toBeGreaterThanOrEqual(norm - 1e-7 * tasks);
        if (wi > 1e-6) expect(gw[i]!).toBeCloseTo(norm, 6);
      });
    }
  });

  it('is safe on degenerate inputs', () => {
    expect(minNormOnSimplex([[0]])).toEqual([1]);
    expect(minNormOnSimplex([[4]])).toEqual([1]);
    expect(
      minNormOnSimplex([
        [0, 0],
        [0, 0],
      ]),
    ).toEqual([0.5, 0.5]);
    // Identical gradients: every w is optimal; the norm is that of the gradient.
    const same = gramianOf([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    const w = minNormOnSimplex(same);
    expect(dot(w, matVec(same, w))).toBeCloseTo(5, 9);
    // Opposed gradients: the zero vector is in the hull.
    const opposed = gramianOf([
      [1, 1],
      [-2, -2],
    ]);
    expectClose(minNormOnSimplex(opposed), [2 / 3, 1 / 3], 6);
    // Scale does not change the weights: huge and tiny losses alike.
    const g = gramianOf(randomMatrix(4, 6, 3));
    const base = minNormOnSimplex(g);
    for (const scale of [1e-30, 1e30]) {
      expectClose(minNormOnSimplex(g.map((row) => row.map((x) => x * scale))), base, 6);
    }
    // Near-singular: two almost parallel gradients.
    const near = gramianOf([
      [1, 0, 0],
      [1, 1e-7, 0],
      [0, 0, 1],
    ]);
    const wn = minNormOnSimplex(near);
    expect(dot(wn, matVec(near, wn))).toBeCloseTo(0.5, 6);
  });

  it('rejects NaN with the tasks involved', () => {
    expect(() => minNormOnSimplex(NAN_GRAMIAN, 'mgda')).toThrow(
      'mgda: the gradients of tasks 0 and 1 have a non-finite inner product (NaN); a task gradient is NaN or infinite',
    );
  });
});

describe('nonnegativeQuadratic and the dual-cone projection', () => {
  it('matches closed forms', () => {
    expectClose(nonnegativeQuadratic([[2]], [-4]), [2], 12);
    expectClose(nonnegativeQuadratic([[2]], [4]), [0], 12);
    expectClose(
      nonnegativeQuadratic(
        [
          [1, 0],
          [0, 1],
        ],
        [-1, 1],
      ),
      [1, 0],
      12,
    );
  });

  it('satisfies the KKT conditions on random positive definite problems', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const n = 1 + (seed % 8);
      const q = gramianOf(randomMatrix(n, n + 2, seed)).map((row, i) => row.map((x, j) => x + (i === j ? 1e-3 : 0)));
      const c = randomMatrix(1, n, seed + 100, 2)[0]!;
      const x = nonnegativeQuadratic(q, c);
      const gradient = matVec(q, x).map((g, i) => g + c[i]!);
      x.forEach((xi, i) => {
        expect(xi).toBeGreaterThanOrEqual(0);
        expect(gradient[i]!).toBeGreaterThanOrEqual(-1e-9);
        expect(Math.abs(xi * gradient[i]!)).toBeLessThan(1e-9);
      });
    }
  });

  it('projects into the dual cone: the result never conflicts with a task', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const tasks = 2 + (seed % 7);
      const g = gramianOf(randomMatrix(tasks, 5, seed)).map((row, i) => row.map((x, j) => x + (i === j ? 1e-6 : 0)));
      const u = new Array(tasks).fill(1 / tasks);
      const w = projectWeightsOntoDualCone(u, g);
      // J (J^T w) = G w >= 0; w >= u; complementary slackness (w - u)_i (G w)_i = 0.
      matVec(g, w).forEach((gwi, i) => {
        expect(gwi).toBeGreaterThanOrEqual(-1e-9);
        expect(w[i]!).toBeGreaterThanOrEqual(u[i]! - 1e-12);
        expect(Math.abs((w[i]! - u[i]!) * gwi)).toBeLessThan(1e-8);
      });
    }
    // Already in the cone: unchanged.
    const aligned = gramianOf([
      [1, 0.2],
      [0.3, 1],
    ]);
    expectClose(projectWeightsOntoDualCone([0.5, 0.5], aligned), [0.5, 0.5], 12);
  });

  it('rejects NaN and a matrix that is not positive definite', () => {
    expect(() => projectWeightsOntoDualCone([0.5, 0.5], NAN_GRAMIAN, 'upgrad')).toThrow(
      'upgrad: the gradients of tasks 0 and 1 have a non-finite inner product',
    );
    expect(() => nonnegativeQuadratic([[-1]], [-1], 'qp')).toThrow('qp: the quadratic is not positive definite');
  });
});

describe('symmetricEigen and pseudoInverse', () => {
  it('matches a closed form and reconstructs random matrices', () => {
    const { values, vectors } = symmetricEigen([
      [2, 1],
      [1, 2],
    ]);
    expectClose(values, [3, 1], 12);
    expectClose(vectors[0]!.map(Math.abs), [Math.SQRT1_2, Math.SQRT1_2], 12);
    for (let seed = 1; seed <= 10; seed++) {
      const n = 1 + seed;
      const m = gramianOf(randomMatrix(n, n, seed));
      const { values: l, vectors: v } = symmetricEigen(m);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const rebuilt = l.reduce((s, lk, k) => s + lk * v[k]![i]! * v[k]![j]!, 0);
          expect(rebuilt).toBeCloseTo(m[i]![j]!, 9);
          expect(dot(v[i]!, v[j]!)).toBeCloseTo(i === j ? 1 : 0, 12);
        }
      }
      for (let k = 1; k < n; k++) expect(l[k - 1]!).toBeGreaterThanOrEqual(l[k]!);
    }
  });

  it('pseudo-inverts a singular matrix (M M+ M = M)', () => {
    const m = gramianOf([
      [1, 2, 0],
      [2, 4, 0],
      [0, 1, 1],
    ]);
    const p = pseudoInverse(m);
    const mp = m.map((row) =>
      p[0]!.map((_, j) =>
        dot(
          row,
          p.map((r) => r[j]!),
        ),
      ),
    );
    const mpm = mp.map((row) =>
      m[0]!.map((_, j) =>
        dot(
          row,
          m.map((r) => r[j]!),
        ),
      ),
    );
    mpm.forEach((row, i) => {
      expectClose(row, m[i]!, 8);
    });
    expect(pseudoInverse([[0]])).toEqual([[0]]);
    expect(() => symmetricEigen(NAN_GRAMIAN)).toThrow('non-finite inner product');
  });
});

describe('fairWeights (Nash-MTL at alpha = 1, FairGrad)', () => {
  it('solves w_i (G w)_i = 1 and the alpha-fair equations', () => {
    // Orthogonal gradients: w_i = 1 / ||g_i||.
    expectClose(
      fairWeights(
        [
          [4, 0],
          [0, 0.25],
        ],
        1,
      ),
      [0.5, 2],
      8,
    );
    for (let seed = 1; seed <= 20; seed++) {
      const tasks = 2 + (seed % 6);
      const g = gramianOf(randomMatrix(tasks, tasks + 3, seed));
      for (const alpha of [0.5, 1, 2]) {
        const w = fairWeights(g, alpha);
        const gw = matVec(g, w);
        w.forEach((wi, i) => {
          expect(wi).toBeGreaterThan(0);
          expect(gw[i]! / wi ** (-1 / alpha)).toBeCloseTo(1, 6);
        });
      }
    }
  });

  it('scales as s^(-alpha / (alpha + 1)) with the Gramian', () => {
    const g = gramianOf(randomMatrix(3, 5, 4));
    for (const scale of [1e-12, 1e12]) {
      const w = fairWeights(
        g.map((row) => row.map((x) => x * scale)),
        1,
      );
      expectClose(
        w.map((x) => x * Math.sqrt(scale)),
        fairWeights(g, 1),
        6,
      );
    }
  });

  it('gives a zero-gradient task weight 0 and survives opposed gradients', () => {
    const w = fairWeights(
      [
        [1, 0],
        [0, 0],
      ],
      1,
    );
    expectClose(w, [1, 0], 9);
    expect(
      fairWeights(
        [
          [0, 0],
          [0, 0],
        ],
        1,
      ),
    ).toEqual([0, 0]);
    const opposed = fairWeights(
      [
        [1, -1],
        [-1, 1],
      ],
      1,
    );
    expect(opposed.every(Number.isFinite)).toBe(true);
    expect(opposed[0]!).toBeCloseTo(opposed[1]!, 6);
    expect(() => fairWeights(NAN_GRAMIAN, 1, 'nash-mtl')).toThrow('nash-mtl: the gradients of tasks 0 and 1');
  });
});

describe('minimizeOnSimplex', () => {
  it('finds the projection as the minimiser of ||w - v||^2, with a duality gap below its tolerance', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const v = randomMatrix(1, 5, seed)[0]!;
      const result = minimizeOnSimplex(
        {
          value: (w) => w.reduce((sum, wi, i) => sum + (wi - v[i]!) ** 2, 0),
          gradient: (w) => w.map((wi, i) => 2 * (wi - v[i]!)),
        },
        [0.2, 0.2, 0.2, 0.2, 0.2],
        1e-8,
      );
      // f's rounding (1e-17 here) bounds how far the function-value tests can go: a gap of
      // 1e-8 is a distance of about 1e-8 from the optimum.
      expect(result.gap).toBeLessThanOrEqual(1e-8);
      expectClose(result.weights, projectOntoSimplex(v), 5);
    }
  });
});

describe("conflictAverseWeights (CAGrad's subproblem)", () => {
  const objective = (g: Matrix, b: number[], s: number, w: number[]) => dot(w, b) + s * Math.sqrt(dot(w, matVec(g, w)));

  it('beats a fine grid for two tasks and satisfies the KKT conditions on random problems', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const n = 2 + (seed % 5);
      const g = gramianOf(randomMatrix(n, n + 2, seed + 500));
      const u = new Array(n).fill(1 / n);
      const b = matVec(g, u);
      const s = 0.5 * Math.sqrt(dot(u, b));
      const w = conflictAverseWeights(g, b, s);
      expect(sum(w)).toBeCloseTo(1, 12);
      if (n === 2) {
        let best = Number.POSITIVE_INFINITY;
        for (let k = 0; k <= 100_000; k++) best = Math.min(best, objective(g, b, s, [k / 1e5, 1 - k / 1e5]));
        expect(objective(g, b, s, w)).toBeLessThanOrEqual(best + 1e-9);
      }
      const norm = Math.sqrt(dot(w, matVec(g, w)));
      const gradient = matVec(g, w).map((x, i) => b[i]! + (s * x) / norm);
      const lambda = dot(gradient, w);
      w.forEach((wi, i) => {
        expect(wi).toBeGreaterThanOrEqual(0);
        if (wi > 1e-6) expect(gradient[i]!).toBeCloseTo(lambda, 6);
        else expect(gradient[i]!).toBeGreaterThanOrEqual(lambda - 1e-6);
      });
    }
  });

  it('is safe on degenerate inputs and rejects NaN', () => {
    expect(conflictAverseWeights([[1]], [1], 0.5)).toEqual([1]);
    // s = 0: the vertex with the smallest b.
    expect(
      conflictAverseWeights(
        gramianOf([
          [1, 0],
          [0, 1],
        ]),
        [0.5, 0.2],
        0,
      ),
    ).toEqual([0, 1]);
    // identical gradients: any w; finite.
    const same = conflictAverseWeights(
      gramianOf([
        [1, 2],
        [1, 2],
      ]),
      [5, 5],
      1,
    );
    expect(same.every(Number.isFinite)).toBe(true);
    expect(() => conflictAverseWeights(NAN_GRAMIAN, [1, 1], 1, 'cagrad')).toThrow(
      'cagrad: the gradients of tasks 0 and 1',
    );
  });
});
