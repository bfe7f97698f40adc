import { GramianStrategy } from '../gradient-strategy.js';
import type { MethodDefinition } from '../method-definition.js';
import { numberOption } from '../options.js';
import { fairWeights } from '../solvers/fair-weights.js';
import { dot, type Matrix, matVec } from '../solvers/matrix.js';
import { readNumbers, readSteps, type StateData } from '../state-data.js';

export interface NashMtlOptions {
  /** Largest norm of the direction; 0 disables the clip. Default 1. */
  maxNorm?: number;
  /** Solve for new weights every this many steps, reusing the last ones in between. Default 1. */
  updateWeightsEvery?: number;
}

/**
 * Nash-MTL (Navon, Shamsian, Achituve, Maron, Kawaguchi, Chechik, Fetaya, ICML 2022,
 * "Multi-Task Learning as a Bargaining Game").
 * Rule: with G normalised by its Frobenius norm, the weights solve alpha_i (G alpha)_i = 1,
 * alpha > 0 (the Nash bargaining solution); the direction is sum_i alpha_i g_i, scaled
 * down to norm `maxNorm` when longer.
 * Conventions, as the authors' code and torchjd: the Frobenius normalisation, the clip
 * at maxNorm = 1 (their `max_norm`; 0 disables it) and `updateWeightsEvery` = 1. The
 * equation is solved exactly by Newton's method on its convex potential instead of their
 * 20 sequential convex approximations with ECOS, so on hard cases the weights can differ
 * from theirs by that solver's tolerance.
 */
class NashMtlStrategy extends GramianStrategy {
  private steps = 0;
  private alpha: number[] | undefined;

  constructor(
    tasks: readonly string[],
    private readonly options: Required<NashMtlOptions>,
  ) {
    super('nash-mtl', tasks, options);
  }

  protected weightsFromGramian(gramian: Matrix): number[] {
    if (this.alpha === undefined || this.steps % this.options.updateWeightsEvery === 0) {
      const frobenius = Math.sqrt(gramian.reduce((sum, row) => sum + dot(row, row), 0));
      this.alpha =
        frobenius > 0
          ? fairWeights(
              gramian.map((row) => row.map((x) => x / frobenius)),
              1,
              'nash-mtl.useTaskGradients',
            )
          : gramian.map(() => 0);
    }
    this.steps += 1;
    const norm = Math.sqrt(Math.max(dot(this.alpha, matVec(gramian, this.alpha)), 0));
    const { maxNorm } = this.options;
    const factor = maxNorm > 0 && norm > maxNorm ? maxNorm / norm : 1;
    return this.alpha.map((a) => a * factor);
  }

  protected override methodState(): StateData {
    return { steps: this.steps, alpha: this.alpha ? [...this.alpha] : null };
  }

  protected override restoreMethodState(data: StateData, where: string): void {
    const steps = readSteps(data.steps, `${where}: state.data.steps`);
    this.alpha =
      data.alpha === null ? undefined : readNumbers(data.alpha, this.tasks.length, `${where}: state.data.alpha`);
    this.steps = steps;
  }
}

export const nashMtlMethod: MethodDefinition<NashMtlOptions> = {
  name: 'nash-mtl',
  summary: 'the Nash bargaining solution alpha_i (G alpha)_i = 1 on the normalised Gramian, clipped to maxNorm',
  paper: {
    title: 'Multi-Task Learning as a Bargaining Game',
    authors: 'Navon, Shamsian, Achituve, Maron, Kawaguchi, Chechik, Fetaya',
    venue: 'ICML',
    year: 2022,
    url: 'https://arxiv.org/abs/2202.01017',
  },
  options: {
    maxNorm: numberOption('largest norm of the direction (0: no clip)', 1, { min: 0 }),
    updateWeightsEvery: numberOption('solve for new weights every this many steps', 1, { min: 1, integer: true }),
  },
  create: (tasks, options) => new NashMtlStrategy(tasks, options as Required<NashMtlOptions>),
};
