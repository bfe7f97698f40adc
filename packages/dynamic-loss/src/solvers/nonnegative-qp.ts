import { checkGramian, checkVector, type Matrix, matVec, solvePositiveDefinite } from './matrix.js';

/**
 * The exact minimiser of 1/2 x^T Q x + c^T x over x >= 0 for a positive definite Q, by a
 * primal active-set method (Lawson-Hanson's, for a general quadratic): free the variable
 * whose gradient is most negative, solve the free block exactly, step back to the
 * boundary when a free variable would turn negative. Finite, and exact up to rounding.
 */
export function nonnegativeQuadratic(q: Matrix, c: readonly number[], where = 'nonnegativeQuadratic'): number[] {
  checkGramian(where, q);
  const n = q.length;
  checkVector(where, 'the linear term', c, n);
  const scale = Math.max(...c.map(Math.abs), ...q.map((row, i) => Math.abs(row[i] as number)));
  const tolerance = 1e-13 * scale;
  const x = new Array<number>(n).fill(0);
  const free = new Array<boolean>(n).fill(false);
  for (let outer = 0; outer < 10 * n + 10; outer++) {
    const gradient = matVec(q, x).map((g, i) => g + (c[i] as number));
    let entering = -1;
    for (let i = 0; i < n; i++) {
      const g = gradient[i] as number;
      if (!free[i] && g < -tolerance && (entering < 0 || g < (gradient[entering] as number))) entering = i;
    }
    if (entering < 0) return x;
    free[entering] = true;
    for (let inner = 0; inner <= n; inner++) {
      const indices = free.flatMap((isFree, i) => (isFree ? [i] : []));
      const block = indices.map((i) => indices.map((j) => (q[i] as number[])[j] as number));
      const solution = solvePositiveDefinite(
        block,
        indices.map((i) => -(c[i] as number)),
      );
      if (solution === undefined) throw new Error(`${where}: the quadratic is not positive definite`);
      if (solution.every((z) => z > 0)) {
        x.fill(0);
        indices.forEach((i, k) => {
          x[i] = solution[k] as number;
        });
        break;
      }
      // Step from x toward the block solution until the first free variable reaches 0,
      // and bind the variables that did.
      let step = 1;
      let blocking = -1;
      indices.forEach((i, k) => {
        const z = solution[k] as number;
        const xi = x[i] as number;
        if (z <= 0) {
          const candidate = xi - z > 0 ? xi / (xi - z) : 0;
          if (candidate < step || blocking < 0) {
            step = Math.min(step, candidate);
            blocking = i;
          }
        }
      });
      indices.forEach((i, k) => {
        x[i] = (x[i] as number) + step * ((solution[k] as number) - (x[i] as number));
      });
      x[blocking] = 0;
      for (const i of indices) {
        if ((x[i] as number) <= 0) {
          x[i] = 0;
          free[i] = false;
        }
      }
    }
  }
  throw new Error(`${where}: the active-set method did not converge`);
}

/**
 * The weights of the projection of J^T u onto the dual cone {d : J d >= 0} of the task
 * gradients, from their Gramian G: w = argmin_{v >= u} v^T G v (the dual of UPGrad's and
 * DualProj's projection; J^T w is the projection). Needs G positive definite: regularise
 * a Gramian that may be singular first.
 */
export function projectWeightsOntoDualCone(
  u: readonly number[],
  gramian: Matrix,
  where = 'projectWeightsOntoDualCone',
): number[] {
  checkVector(where, 'the weights to project', u, gramian.length);
  // v = u + x with x >= 0: minimise 1/2 x^T G x + (G u)^T x.
  const x = nonnegativeQuadratic(gramian, matVec(gramian, u), where);
  return u.map((ui, i) => ui + (x[i] as number));
}
