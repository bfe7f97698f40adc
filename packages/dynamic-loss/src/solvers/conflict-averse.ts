import { checkGramian, dot, type Matrix, matVec, solvePositiveDefinite } from './matrix.js';
import { minimizeOnSimplex } from './simplex-minimize.js';

/**
 * CAGrad's subproblem: w = argmin_{w in simplex} w^T b + s sqrt(w^T G w), with b = G u
 * for the mean weights u and s = sqrt(phi) >= 0.
 * Accelerated projected gradient finds the support; then the KKT conditions on that
 * support are solved exactly: with y = (s / ||g_w||) w, b_S + G_SS y = lambda 1 and
 * y^T G_SS y = s^2, a quadratic in lambda; the root with y > 0 whose gradient
 * b + G y >= lambda off the support is the optimum, w = y / sum(y). When G_SS is singular
 * or no root qualifies, the iterative answer (duality gap <= 1e-8 s) stands.
 */
export function conflictAverseWeights(
  gramian: Matrix,
  b: readonly number[],
  s: number,
  where = 'conflictAverseWeights',
): number[] {
  checkGramian(where, gramian);
  const n = gramian.length;
  const uniform = new Array<number>(n).fill(1 / n);
  if (!(s > 0)) {
    // min w.b over the simplex: a vertex of smallest b.
    const best = b.indexOf(Math.min(...b));
    return uniform.map((_, i) => (i === best ? 1 : 0));
  }
  const normOf = (w: readonly number[]) => Math.sqrt(Math.max(dot(w, matVec(gramian, w)), 0));
  const objective = (w: readonly number[]) => dot(w, b) + s * normOf(w);
  const { weights } = minimizeOnSimplex(
    {
      value: objective,
      gradient: (w) => {
        const gw = matVec(gramian, w);
        const norm = Math.max(normOf(w), 1e-12);
        return b.map((bi, i) => bi + (s * (gw[i] as number)) / norm);
      },
    },
    uniform,
    1e-8 * s,
    5_000,
  );
  const support = weights.flatMap((w, i) => (w > 1e-6 ? [i] : []));
  const exact = solveOnSupport(gramian, b, s, support);
  return exact !== undefined && objective(exact) <= objective(weights) + 1e-12 * Math.abs(objective(weights))
    ? exact
    : weights;
}

function solveOnSupport(gramian: Matrix, b: readonly number[], s: number, support: number[]): number[] | undefined {
  const block = support.map((i) => support.map((j) => (gramian[i] as number[])[j] as number));
  const bS = support.map((i) => b[i] as number);
  const p = solvePositiveDefinite(
    block,
    bS.map(() => 1),
  );
  const q = solvePositiveDefinite(block, bS);
  if (p === undefined || q === undefined) return undefined;
  const a = p.reduce((x, y) => x + y, 0);
  const half = dot(bS, p);
  const c = dot(bS, q) - s * s;
  const discriminant = half * half - a * c;
  if (!(a > 0) || discriminant < 0) return undefined;
  let best: number[] | undefined;
  for (const lambda of [(half + Math.sqrt(discriminant)) / a, (half - Math.sqrt(discriminant)) / a]) {
    const ySupport = p.map((pi, k) => lambda * pi - (q[k] as number));
    if (!ySupport.every((y) => y > 0)) continue;
    const y = new Array<number>(b.length).fill(0);
    support.forEach((i, k) => {
      y[i] = ySupport[k] as number;
    });
    const gradient = matVec(gramian, y).map((gy, i) => gy + (b[i] as number));
    const tolerance = 1e-9 * (Math.abs(lambda) + 1);
    if (gradient.some((g, i) => !support.includes(i) && g < lambda - tolerance)) continue;
    const total = ySupport.reduce((x, z) => x + z, 0);
    const w = y.map((x) => x / total);
    if (
      best === undefined ||
      dot(w, b) + s * Math.sqrt(dot(w, matVec(gramian, w))) <
        dot(best, b) + s * Math.sqrt(dot(best, matVec(gramian, best)))
    ) {
      best = w;
    }
  }
  return best;
}
