import { GramianStrategy } from '../gradient-strategy.js';
import type { MethodDefinition } from '../method-definition.js';
import { numberOption } from '../options.js';
import { fairWeights } from '../solvers/fair-weights.js';
import type { Matrix } from '../solvers/matrix.js';

export interface FairGradOptions {
  /** Fairness alpha: 0 is the mean (linear scalarisation), 1 proportional fairness, larger moves toward max-min. Default 1. */
  alpha?: number;
}

/**
 * FairGrad (Ban, Ji, ICML 2024, "Fair Resource Allocation in Multi-Task Learning").
 * Rule: the weights w > 0 solve G w = w^(-1/alpha) (alpha-fair utility maximisation of the
 * task improvements g_i . d, d = J^T w), solved exactly by Newton's method on its convex
 * potential (the authors and torchjd call `scipy.optimize.least_squares` from w = 1/T; the
 * root is unique, so both reach it). alpha = 0 gives the mean, weights 1/T, as torchjd.
 * The raw Gramian is used, as the authors: the direction's size follows the gradients'.
 */
class FairGradStrategy extends GramianStrategy {
  constructor(
    tasks: readonly string[],
    private readonly options: Required<FairGradOptions>,
  ) {
    super('fairgrad', tasks, options);
  }

  protected weightsFromGramian(gramian: Matrix): number[] {
    if (this.options.alpha === 0) return gramian.map(() => 1 / gramian.length);
    return fairWeights(gramian, this.options.alpha, 'fairgrad.useTaskGradients');
  }
}

export const fairgradMethod: MethodDefinition<FairGradOptions> = {
  name: 'fairgrad',
  summary: 'alpha-fair weights: G w = w^(-1/alpha); alpha = 1 is proportional fairness, 0 the mean',
  paper: {
    title: 'Fair Resource Allocation in Multi-Task Learning',
    authors: 'Ban, Ji',
    venue: 'ICML',
    year: 2024,
    url: 'https://arxiv.org/abs/2402.15638',
  },
  options: {
    alpha: numberOption('fairness alpha', 1, { min: 0 }),
  },
  create: (tasks, options) => new FairGradStrategy(tasks, options as Required<FairGradOptions>),
};
