import { GramianStrategy } from '../gradient-strategy.js';
import type { MethodDefinition } from '../method-definition.js';
import { numberOption } from '../options.js';
import { conflictAverseWeights } from '../solvers/conflict-averse.js';
import { dot, type Matrix, matVec, trace } from '../solvers/matrix.js';

export interface CaGradOptions {
  /** Radius scale c of the ball around the mean gradient. Default 0.5. */
  c?: number;
  /** Divide the direction by 1 (`0`), by 1 + c^2 (`1`, default, the authors' code) or by 1 + c (`2`). */
  rescale?: 0 | 1 | 2;
}

/**
 * CAGrad, conflict-averse gradient descent (Liu, Liu, Jin, Stone, Liu, NeurIPS 2021).
 * Rule: with g0 the mean gradient and sqrt(phi) = c ||g0||, w = argmin_{w in simplex}
 * g_w . g0 + sqrt(phi) ||g_w|| (g_w = sum_i w_i g_i), solved on the trace-normalised
 * Gramian (`conflictAverseWeights`: projected gradient, then the exact KKT solution on its
 * support); the direction is
 * (g0 + sqrt(phi) / ||g_w|| g_w) / r, i.e. weights (1/T + sqrt(phi) w / ||g_w||) / r.
 * Conventions: `rescale` 1 (r = 1 + c^2) as the authors' code and LibMTL; 0 (r = 1) gives
 * torchjd's numbers, 2 is r = 1 + c. When g_w vanishes (at a Pareto-stationary point) the
 * direction is g0 / r, the authors' limit (torchjd returns 0 there).
 */
class CaGradStrategy extends GramianStrategy {
  constructor(
    tasks: readonly string[],
    private readonly options: Required<CaGradOptions>,
  ) {
    super('cagrad', tasks, options);
  }

  protected weightsFromGramian(gramian: Matrix): number[] {
    const n = gramian.length;
    const { c, rescale } = this.options;
    const divisor = rescale === 0 ? 1 : rescale === 1 ? 1 + c * c : 1 + c;
    const uniform = new Array<number>(n).fill(1 / n);
    const scale = trace(gramian);
    if (!(scale > 0)) return uniform.map((u) => u / divisor);
    const g = gramian.map((row) => row.map((x) => x / scale));
    const towardMean = matVec(g, uniform);
    const sqrtPhi = c * Math.sqrt(Math.max(dot(uniform, towardMean), 0));
    if (sqrtPhi === 0) return uniform.map((u) => u / divisor);
    const weights = conflictAverseWeights(g, towardMean, sqrtPhi, 'cagrad.useTaskGradients');
    const normOf = (w: readonly number[]) => Math.sqrt(Math.max(dot(w, matVec(g, w)), 0));
    const norm = normOf(weights);
    if (norm < 1e-8) return uniform.map((u) => u / divisor);
    return weights.map((w, i) => ((uniform[i] as number) + (sqrtPhi * w) / norm) / divisor);
  }
}

export const cagradMethod: MethodDefinition<CaGradOptions> = {
  name: 'cagrad',
  summary: 'the mean gradient moved within a ball of radius c ||g0|| to raise the worst task improvement',
  paper: {
    title: 'Conflict-Averse Gradient Descent for Multi-task Learning',
    authors: 'Liu, Liu, Jin, Stone, Liu',
    venue: 'NeurIPS',
    year: 2021,
    url: 'https://arxiv.org/abs/2110.14048',
  },
  options: {
    c: numberOption('radius scale c', 0.5, { min: 0 }),
    rescale: {
      doc: 'divide the direction by 1 (0, torchjd), 1 + c^2 (1, authors, LibMTL) or 1 + c (2)',
      defaultDoc: '1',
      defaultFor: () => 1,
      parse(value) {
        if (value !== 0 && value !== 1 && value !== 2)
          throw new Error(`must be 0, 1 or 2, got ${JSON.stringify(value)}`);
        return value;
      },
    },
  },
  create: (tasks, options) => new CaGradStrategy(tasks, options as Required<CaGradOptions>),
};
