import { GramianStrategy } from '../gradient-strategy.js';
import type { MethodDefinition } from '../method-definition.js';
import { choiceOption } from '../options.js';
import type { Matrix } from '../solvers/matrix.js';
import { minNormOnSimplex } from '../solvers/min-norm.js';

export type MgdaNormalization = 'none' | 'l2' | 'loss' | 'loss+';

export interface MgdaOptions {
  /** Divide each task gradient by: nothing (`none`, default), its norm (`l2`), its loss (`loss`), or both (`loss+`). */
  normalization?: MgdaNormalization;
}

/**
 * MGDA (Sener, Koltun, NeurIPS 2018, "Multi-Task Learning as Multi-Objective
 * Optimization"), the exact min-norm point of the convex hull of the task gradients.
 * Rule: with n_i the normaliser of task i, w = argmin_{w in simplex} ||sum_i w_i g_i / n_i||^2,
 * solved exactly (an active-set method, not the paper's Frank-Wolfe iterations); the
 * direction is sum_i (w_i / n_i) g_i, which `weights()` reports.
 * Conventions: `normalization` none by default (the paper's MGDA, torchjd); l2, loss and
 * loss+ are MGDA-UB's `gradient_normalizers`, and the direction combines the normalised
 * gradients as LibMTL does (MGDA-UB instead applies w to the raw losses). A zero
 * normaliser counts as 1, so a zero gradient stays zero.
 */
class MgdaStrategy extends GramianStrategy {
  constructor(
    tasks: readonly string[],
    private readonly options: Required<MgdaOptions>,
  ) {
    super('mgda', tasks, options);
  }

  protected weightsFromGramian(gramian: Matrix, losses: () => number[]): number[] {
    const normalisers = this.normalisers(gramian, losses).map((n) => (n > 0 && Number.isFinite(n) ? n : 1));
    const normalised = gramian.map((row, i) =>
      row.map((x, j) => x / ((normalisers[i] as number) * (normalisers[j] as number))),
    );
    const weights = minNormOnSimplex(normalised, 'mgda.useTaskGradients');
    return weights.map((w, i) => w / (normalisers[i] as number));
  }

  private normalisers(gramian: Matrix, losses: () => number[]): number[] {
    const norms = () => gramian.map((row, i) => Math.sqrt(Math.max(row[i] as number, 0)));
    switch (this.options.normalization) {
      case 'none':
        return gramian.map(() => 1);
      case 'l2':
        return norms();
      case 'loss':
        return losses();
      case 'loss+': {
        const n = norms();
        return losses().map((loss, i) => loss * (n[i] as number));
      }
    }
  }
}

export const mgdaMethod: MethodDefinition<MgdaOptions> = {
  name: 'mgda',
  summary: 'the exact min-norm point of the convex hull of the (optionally normalised) task gradients',
  paper: {
    title: 'Multi-Task Learning as Multi-Objective Optimization',
    authors: 'Sener, Koltun',
    venue: 'NeurIPS',
    year: 2018,
    url: 'https://arxiv.org/abs/1810.04650',
  },
  options: {
    normalization: choiceOption(
      'gradient normaliser (MGDA-UB): none, l2 (norm), loss, loss+ (loss times norm)',
      'none',
      ['none', 'l2', 'loss', 'loss+'],
    ),
  },
  create: (tasks, options) => new MgdaStrategy(tasks, options as Required<MgdaOptions>),
};
