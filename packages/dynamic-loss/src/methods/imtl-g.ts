import { GramianStrategy } from '../gradient-strategy.js';
import type { MethodDefinition } from '../method-definition.js';
import { type Matrix, matVec } from '../solvers/matrix.js';
import { pseudoInverse } from '../solvers/symmetric-eigen.js';
import { IMTL_PAPER } from './imtl-l.js';

/** IMTL-G takes no options. */
export type ImtlGOptions = Record<never, never>;

/**
 * IMTL-G, the gradient half of Impartial Multi-Task Learning (Liu et al., ICLR 2021).
 * Rule: the direction d = J^T w, sum w = 1, has equal projections onto every task's unit
 * gradient u_i: d . u_i the same for all i. In Gramian form w = v / sum(v) with
 * v = G^+ sqrt(diag G), the generalisation of torchjd that also holds for linearly
 * dependent gradients (for independent ones it equals the paper's closed form with
 * D = g_1 - g_i, U = u_1 - u_i). When sum(v) vanishes the weights are 0. No options.
 */
class ImtlGStrategy extends GramianStrategy {
  constructor(tasks: readonly string[]) {
    super('imtl-g', tasks, {});
  }

  protected weightsFromGramian(gramian: Matrix): number[] {
    const roots = gramian.map((row, i) => Math.sqrt(Math.max(row[i] as number, 0)));
    const v = matVec(pseudoInverse(gramian, 'imtl-g.useTaskGradients'), roots);
    const total = v.reduce((a, b) => a + b, 0);
    return Math.abs(total) < 1e-12 ? v.map(() => 0) : v.map((x) => x / total);
  }
}

export const imtlGMethod: MethodDefinition<ImtlGOptions> = {
  name: 'imtl-g',
  summary: 'the direction with equal projections on every unit task gradient: w proportional to G^+ sqrt(diag G)',
  paper: IMTL_PAPER,
  options: {},
  create: (tasks) => new ImtlGStrategy(tasks),
};
