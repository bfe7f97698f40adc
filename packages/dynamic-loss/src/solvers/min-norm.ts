import { checkGramian, type Matrix, trace } from './matrix.js';
import { nonnegativeQuadratic } from './nonnegative-qp.js';
import { symmetricEigen } from './symmetric-eigen.js';

/**
 * The min-norm point of the convex hull of the task gradients, from their Gramian G:
 * w = argmin_{w in simplex} w^T G w (MGDA's subproblem). Solved exactly through its
 * equivalent v = argmin_{v >= 0} 1/2 v^T G v - 1^T v, w = v / sum(v) (the KKT conditions
 * of both coincide with lambda = w^T G w), by the active-set method; a ridge of
 * 1e-8 trace(G) / T keeps that problem bounded when 0 is in the hull (opposed or
 * linearly dependent gradients), which moves w^T G w by at most 1e-8 trace(G)
 * (float32 gradients carry a relative error of 1e-7 anyway). A Gramian summed in float32
 * can be slightly indefinite; its most negative eigenvalue is shifted away first.
 * Zero gradients give the uniform weights.
 */
export function minNormOnSimplex(gramian: Matrix, where = 'minNormOnSimplex'): number[] {
  checkGramian(where, gramian);
  const n = gramian.length;
  const scale = trace(gramian);
  if (!(scale > 0)) return new Array(n).fill(1 / n);
  const lowest = symmetricEigen(gramian, where).values[n - 1] as number;
  const ridge = Math.max(0, -lowest) + (1e-8 * scale) / n;
  const normalised = gramian.map((row, i) => row.map((x, j) => (x + (i === j ? ridge : 0)) / scale));
  const v = nonnegativeQuadratic(normalised, new Array(n).fill(-1), where);
  const total = v.reduce((a, b) => a + b, 0);
  return v.map((x) => x / total);
}
