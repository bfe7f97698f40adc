import { GramianStrategy } from '../gradient-strategy.js';
import type { MethodDefinition } from '../method-definition.js';
import { numberOption } from '../options.js';
import { SeededRandom } from '../random.js';
import type { Matrix } from '../solvers/matrix.js';
import { readNumbers, readRandomState, type StateData } from '../state-data.js';

export interface GradVacOptions {
  /** EMA rate of the cosine-similarity targets. Default 0.5. */
  beta?: number;
  /** Added to the denominators. Default 1e-8. */
  eps?: number;
  /** Seed of the order in which each task visits the others. Default 0. */
  seed?: number;
}

/**
 * Gradient Vaccine (Wang, Tsvetkov, Firat, Cao, ICLR 2021).
 * Rule: for each task i and each other task j in a random order, with phi the cosine of
 * g_i^PC and the original g_j and phi_hat_ij an EMA target: when phi < phi_hat_ij,
 * g_i^PC += ||g_i^PC|| (phi_hat sqrt(1 - phi^2) - phi sqrt(1 - phi_hat^2)) /
 * (||g_j|| sqrt(1 - phi_hat^2)) g_j; then phi_hat_ij = (1 - beta) phi_hat_ij + beta phi.
 * The direction is sum_i g_i^PC. Computed on the Gramian as torchjd (g_i^PC = sum_k C_ik g_k),
 * over the whole model (GradVac's `whole_model` grouping); `weights()` are C's column sums.
 * Conventions: beta = 0.5 and targets starting at 0, as torchjd and LibMTL; the order is
 * seeded and saved with the targets.
 */
class GradVacStrategy extends GramianStrategy {
  private readonly random: SeededRandom;
  private targets: number[][];

  constructor(
    tasks: readonly string[],
    private readonly options: Required<GradVacOptions>,
  ) {
    super('gradvac', tasks, options);
    this.random = new SeededRandom(options.seed);
    this.targets = tasks.map(() => tasks.map(() => 0));
  }

  protected weightsFromGramian(gramian: Matrix): number[] {
    const n = gramian.length;
    const { beta, eps } = this.options;
    const coefficients = gramian.map((_, i) => gramian.map((__, k) => (i === k ? 1 : 0)));
    for (let i = 0; i < n; i++) {
      const row = coefficients[i] as number[];
      // Inner products of g_i^PC with every original gradient.
      const inner = gramian.map((_, j) =>
        row.reduce((sum, c, k) => sum + c * ((gramian[k] as number[])[j] as number), 0),
      );
      const others = gramian.map((_, j) => j).filter((j) => j !== i);
      for (const j of this.random.shuffled(others)) {
        const normI = Math.sqrt(
          Math.max(
            row.reduce((sum, c, k) => sum + c * (inner[k] as number), 0),
            0,
          ),
        );
        const normJ = Math.sqrt(Math.max((gramian[j] as number[])[j] as number, 0));
        const phi = (inner[j] as number) / (normI * normJ + eps);
        const target = (this.targets[i] as number[])[j] as number;
        if (phi < target) {
          const w =
            (normI *
              (target * Math.sqrt(Math.max(1 - phi * phi, 0)) - phi * Math.sqrt(Math.max(1 - target * target, 0)))) /
            (normJ * Math.sqrt(Math.max(1 - target * target, 0)) + eps);
          row[j] = (row[j] as number) + w;
          inner.forEach((x, k) => {
            inner[k] = x + w * ((gramian[j] as number[])[k] as number);
          });
        }
        (this.targets[i] as number[])[j] = (1 - beta) * target + beta * phi;
      }
    }
    return gramian.map((_, k) => coefficients.reduce((sum, row) => sum + (row[k] as number), 0));
  }

  protected override methodState(): StateData {
    return { randomState: this.random.state, targets: this.targets.map((row) => [...row]) };
  }

  protected override restoreMethodState(data: StateData, where: string): void {
    const targets = data.targets;
    if (!Array.isArray(targets) || targets.length !== this.tasks.length) {
      throw new Error(`${where}: state.data.targets must be ${this.tasks.length} rows`);
    }
    const rows = targets.map((row, i) => readNumbers(row, this.tasks.length, `${where}: state.data.targets[${i}]`));
    this.random.state = readRandomState(data.randomState, where);
    this.targets = rows;
  }
}

export const gradvacMethod: MethodDefinition<GradVacOptions> = {
  name: 'gradvac',
  summary: 'raise each pair cosine similarity toward its EMA target by adding a multiple of the other gradient',
  paper: {
    title: 'Gradient Vaccine: Investigating and Improving Multi-task Optimization in Massively Multilingual Models',
    authors: 'Wang, Tsvetkov, Firat, Cao',
    venue: 'ICLR',
    year: 2021,
    url: 'https://arxiv.org/abs/2010.05874',
  },
  options: {
    beta: numberOption('EMA rate of the cosine targets', 0.5, { min: 0, max: 1 }),
    eps: numberOption('added to the denominators', 1e-8, { min: 0 }),
    seed: numberOption('seed of the visiting order', 0, { min: 0, max: 0xffffffff, integer: true }),
  },
  create: (tasks, options) => new GradVacStrategy(tasks, options as Required<GradVacOptions>),
};
