import { GramianStrategy } from '../gradient-strategy.js';
import type { MethodDefinition } from '../method-definition.js';
import { choiceOption, numberOption } from '../options.js';
import { SeededRandom } from '../random.js';
import type { Matrix } from '../solvers/matrix.js';
import { readRandomState, type StateData } from '../state-data.js';

export interface PcGradOptions {
  /** `sum` (default): the sum of the projected gradients; `mean`: their mean. */
  reduction?: 'sum' | 'mean';
  /** `shuffled` (default): each task visits the others in a fresh random order; `fixed`: in task order. */
  order?: 'shuffled' | 'fixed';
  /** Seed of the order. Default 0. */
  seed?: number;
}

/**
 * PCGrad, gradient surgery (Yu, Kumar, Gupta, Levine, Hausman, Finn, NeurIPS 2020).
 * Rule: for each task i, g_i^PC starts as g_i; for each other task j in turn, when
 * g_i^PC . g_j < 0, g_i^PC -= (g_i^PC . g_j / ||g_j||^2) g_j (projection onto the normal
 * plane of the original g_j). The direction is sum_i g_i^PC. Computed on the Gramian:
 * g_i^PC = sum_k C_ik g_k, so every dot product is a row of C times G and no projected
 * gradient is ever materialised; `weights()` are the column sums of C.
 * Conventions: the sum, as the paper, LibMTL and torchjd (`reduction: 'mean'` is
 * Pytorch-PCGrad's mean); a fresh random order per task per step, as the authors' code
 * (`random.shuffle`), seeded and saved (`order: 'fixed'` visits tasks in order). A zero
 * g_j projects nothing. Options: `reduction` = sum, `order` = shuffled, `seed` = 0.
 */
class PcGradStrategy extends GramianStrategy {
  private readonly random: SeededRandom;

  constructor(
    tasks: readonly string[],
    private readonly options: Required<PcGradOptions>,
  ) {
    super('pcgrad', tasks, options);
    this.random = new SeededRandom(options.seed);
  }

  protected weightsFromGramian(gramian: Matrix): number[] {
    const n = gramian.length;
    const coefficients = gramian.map((_, i) => gramian.map((__, k) => (i === k ? 1 : 0)));
    for (let i = 0; i < n; i++) {
      const row = coefficients[i] as number[];
      const others = gramian.map((_, j) => j).filter((j) => j !== i);
      for (const j of this.options.order === 'shuffled' ? this.random.shuffled(others) : others) {
        const normSquared = (gramian[j] as number[])[j] as number;
        const inner = row.reduce((sum, c, k) => sum + c * ((gramian[k] as number[])[j] as number), 0);
        if (inner < 0 && normSquared > 0) row[j] = (row[j] as number) - inner / normSquared;
      }
    }
    const scale = this.options.reduction === 'mean' ? 1 / n : 1;
    return gramian.map((_, k) => scale * coefficients.reduce((sum, row) => sum + (row[k] as number), 0));
  }

  protected override methodState(): StateData {
    return { randomState: this.random.state };
  }

  protected override restoreMethodState(data: StateData, where: string): void {
    this.random.state = readRandomState(data.randomState, where);
  }
}

export const pcgradMethod: MethodDefinition<PcGradOptions> = {
  name: 'pcgrad',
  summary: 'project each task gradient off the others it conflicts with (g_i . g_j < 0), sum the results',
  paper: {
    title: 'Gradient Surgery for Multi-Task Learning',
    authors: 'Yu, Kumar, Gupta, Levine, Hausman, Finn',
    venue: 'NeurIPS',
    year: 2020,
    url: 'https://arxiv.org/abs/2001.06782',
  },
  options: {
    reduction: choiceOption('sum (paper, LibMTL, torchjd) or mean (Pytorch-PCGrad) of the projected gradients', 'sum', [
      'sum',
      'mean',
    ]),
    order: choiceOption('shuffled (authors) or fixed task order of the projections', 'shuffled', ['shuffled', 'fixed']),
    seed: numberOption('seed of the shuffled order', 0, { min: 0, max: 0xffffffff, integer: true }),
  },
  create: (tasks, options) => new PcGradStrategy(tasks, options as Required<PcGradOptions>),
};
