import { dot } from './matrix.js';
import { projectOntoSimplex } from './simplex-projection.js';

export interface SimplexObjective {
  value(w: readonly number[]): number;
  gradient(w: readonly number[]): number[];
}

export interface SimplexResult {
  weights: number[];
  /** The Frank-Wolfe gap grad.w - min_i grad_i at the result: 0 exactly at the optimum. */
  gap: number;
  iterations: number;
}

/**
 * Minimises a convex function over the probability simplex by accelerated projected
 * gradient (FISTA with backtracking and adaptive restart), stopping when the Frank-Wolfe duality
 * gap, an upper bound of f(w) - min f, is below `tolerance` (or after `maxIterations`).
 * Its tests compare values of f, so it cannot resolve the optimum much closer than the
 * square root of f's rounding: callers that need more polish the support it finds.
 */
export function minimizeOnSimplex(
  objective: SimplexObjective,
  start: readonly number[],
  tolerance: number,
  maxIterations = 100_000,
): SimplexResult {
  let x = projectOntoSimplex(start);
  let y = x;
  let fx = objective.value(x);
  let t = 1;
  let lipschitz = 1e-12;
  let gap = Number.POSITIVE_INFINITY;
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const gx = objective.gradient(x);
    gap = dot(gx, x) - Math.min(...gx);
    if (gap <= tolerance) break;
    const gy = objective.gradient(y);
    const fy = objective.value(y);
    let next: number[];
    let fNext: number;
    for (;;) {
      next = projectOntoSimplex(y.map((yi, i) => yi - (gy[i] as number) / lipschitz));
      fNext = objective.value(next);
      const step = next.map((ni, i) => ni - (y[i] as number));
      if (fNext <= fy + dot(gy, step) + (lipschitz / 2) * dot(step, step) + 1e-15 * Math.abs(fy)) break;
      lipschitz *= 2;
      if (!Number.isFinite(lipschitz)) throw new Error('minimizeOnSimplex: the objective is not smooth enough');
    }
    // Near the optimum f(w) - min f falls below the rounding of f while the gap, linear
    // in the distance, is still above the tolerance: only a real increase restarts.
    if (fNext > fx + 4 * Number.EPSILON * Math.abs(fx)) {
      // Momentum overshot: restart from the last iterate.
      y = x;
      t = 1;
      continue;
    }
    const candidate = next;
    if (
      dot(
        y.map((yi, i) => yi - (candidate[i] as number)),
        candidate.map((ci, i) => ci - (x[i] as number)),
      ) > 0
    ) {
      // Gradient restart (O'Donoghue, Candes 2015): the momentum points uphill; drop it.
      x = next;
      y = next;
      fx = fNext;
      t = 1;
      lipschitz /= 1.5;
      continue;
    }
    const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    const momentum = (t - 1) / tNext;
    y = next.map((ni, i) => ni + momentum * (ni - (x[i] as number)));
    x = next;
    fx = fNext;
    t = tNext;
    lipschitz /= 1.5;
  }
  return { weights: x, gap, iterations };
}
