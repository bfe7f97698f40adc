import { checkGramian, type Matrix, matVec, solvePositiveDefinite } from './matrix.js';

/**
 * The positive solution w of G w = w^(-1/alpha) (elementwise), the weights of FairGrad's
 * alpha-fair step; alpha = 1 is Nash-MTL's bargaining solution w_i (G w)_i = 1.
 * It is the unique minimiser of the strictly convex phi(w) = 1/2 w^T G w - sum_i h(w_i),
 * h' = w^(-1/alpha), found by damped Newton steps that keep w > 0 (quadratic convergence;
 * the Hessian G + diag(w^(-1/alpha - 1) / alpha) is positive definite).
 * A task whose gradient is zero cannot satisfy its equation and gets weight 0; a small
 * ridge `1e-10 trace(G) / T` keeps directly opposed gradients from sending w to infinity.
 * Stops when every equation holds to a relative 1e-12.
 */
export function fairWeights(gramian: Matrix, alpha: number, where = 'fairWeights'): number[] {
  checkGramian(where, gramian);
  if (!(alpha > 0 && Number.isFinite(alpha)))
    throw new Error(`${where}: alpha must be a finite number > 0, got ${alpha}`);
  const n = gramian.length;
  const total = gramian.reduce((sum, row, i) => sum + (row[i] as number), 0);
  const active = gramian.flatMap((row, i) => ((row[i] as number) > 1e-12 * total ? [i] : []));
  const weights = new Array<number>(n).fill(0);
  if (active.length === 0) return weights;
  const ridge = (1e-10 * total) / n;
  const g = active.map((i) => active.map((j) => ((gramian[i] as number[])[j] as number) + (i === j ? ridge : 0)));
  const power = -1 / alpha;
  const h = (x: number) => (alpha === 1 ? Math.log(x) : x ** (1 + power) / (1 + power));
  const phi = (w: readonly number[]) => {
    const gw = matVec(g, w);
    return w.reduce((sum, wi, i) => sum + 0.5 * wi * (gw[i] as number) - h(wi), 0);
  };
  // Start where the equations hold for orthogonal gradients: w_i = G_ii^(-alpha/(alpha+1)).
  let w = active.map((_, k) => ((g[k] as number[])[k] as number) ** (-alpha / (alpha + 1)));
  let value = phi(w);
  for (let iteration = 0; iteration < 200; iteration++) {
    const gw = matVec(g, w);
    const residual = w.map((wi, i) => (gw[i] as number) - wi ** power);
    if (residual.every((r, i) => Math.abs(r) <= 1e-12 * ((w[i] as number) ** power + Math.abs(gw[i] as number)))) break;
    const hessian = g.map((row, i) => row.map((x, j) => x + (i === j ? -power * (w[i] as number) ** (power - 1) : 0)));
    const step = solvePositiveDefinite(
      hessian,
      residual.map((r) => -r),
    );
    if (step === undefined) throw new Error(`${where}: the Newton system is singular`);
    // Stay inside w > 0, then backtrack until phi decreases.
    let size = 1;
    step.forEach((s, i) => {
      if (s < 0) size = Math.min(size, (-0.99 * (w[i] as number)) / s);
    });
    let candidate = w;
    let candidateValue = value;
    for (let halving = 0; halving < 60; halving++) {
      candidate = w.map((wi, i) => wi + size * (step[i] as number));
      candidateValue = phi(candidate);
      if (candidateValue <= value) break;
      size /= 2;
    }
    if (!(candidateValue <= value)) break;
    w = candidate;
    value = candidateValue;
  }
  active.forEach((i, k) => {
    weights[i] = w[k] as number;
  });
  return weights;
}
