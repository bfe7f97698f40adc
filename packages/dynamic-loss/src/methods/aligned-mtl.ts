import { GramianStrategy } from '../gradient-strategy.js';
import type { MethodDefinition } from '../method-definition.js';
import { choiceOption, perTaskOption } from '../options.js';
import type { Matrix } from '../solvers/matrix.js';
import { symmetricEigen } from '../solvers/symmetric-eigen.js';

export type AlignedMtlScale = 'min' | 'median' | 'rmse';

export interface AlignedMtlOptions {
  /** The eigenvalue that sets the scale: the smallest (`min`, default), the median, or the mean (`rmse`). */
  scale?: AlignedMtlScale;
  /** Preference weights of the tasks. Default uniform 1/T. */
  preference?: readonly number[] | Readonly<Record<string, number>>;
}

/**
 * Aligned-MTL (Senushkin, Patakin, Kuznetsov, Konushin, CVPR 2023, "Independent Component
 * Alignment for Multi-Task Learning").
 * Rule: with G = V diag(lambda) V^T over its numerical rank r (eigenvalues above
 * lambda_max T 2^-23), B = sqrt(s) V_r diag(lambda_r)^(-1/2) V_r^T makes the task
 * gradients orthogonal with equal norms sqrt(s); the weights are w = B p for the
 * preference p. A zero Gramian gives B = I.
 * Conventions, as torchjd: `scale` min (s = the smallest kept eigenvalue), `median` (the
 * lower median, as `torch.median`) or `rmse` (their mean, the original code's name);
 * preference uniform 1/T. LibMTL's AlignedMTL sums the columns of B: `preference` all 1.
 */
class AlignedMtlStrategy extends GramianStrategy {
  private readonly preference: number[];

  constructor(
    tasks: readonly string[],
    private readonly options: Required<AlignedMtlOptions>,
  ) {
    super('aligned-mtl', tasks, options);
    this.preference = [...(options.preference as number[])];
  }

  protected weightsFromGramian(gramian: Matrix): number[] {
    const n = gramian.length;
    const { values, vectors } = symmetricEigen(gramian, 'aligned-mtl.useTaskGradients');
    const cutoff = Math.max(values[0] as number, 0) * n * 2 ** -23;
    const kept = values.flatMap((value, k) => (value > cutoff ? [k] : []));
    if (kept.length === 0) return [...this.preference];
    const keptValues = kept.map((k) => values[k] as number);
    const scale =
      this.options.scale === 'min'
        ? (keptValues[keptValues.length - 1] as number)
        : this.options.scale === 'median'
          ? ([...keptValues].sort((a, b) => a - b)[Math.floor((keptValues.length - 1) / 2)] as number)
          : keptValues.reduce((a, b) => a + b, 0) / keptValues.length;
    // w = sqrt(s) sum_k v_k (v_k . p) / sqrt(lambda_k)
    const weights = new Array<number>(n).fill(0);
    for (const k of kept) {
      const vector = vectors[k] as number[];
      const projection = vector.reduce((sum, x, i) => sum + x * (this.preference[i] as number), 0);
      const factor = (Math.sqrt(scale) * projection) / Math.sqrt(values[k] as number);
      vector.forEach((x, i) => {
        weights[i] = (weights[i] as number) + factor * x;
      });
    }
    return weights;
  }
}

export const alignedMtlMethod: MethodDefinition<AlignedMtlOptions> = {
  name: 'aligned-mtl',
  summary: 'align the task gradients to orthogonal ones of equal norm (eigendecomposition of G), weights B p',
  paper: {
    title: 'Independent Component Alignment for Multi-Task Learning',
    authors: 'Senushkin, Patakin, Kuznetsov, Konushin',
    venue: 'CVPR',
    year: 2023,
    url: 'https://arxiv.org/abs/2305.19000',
  },
  options: {
    scale: choiceOption('eigenvalue that sets the scale: min (torchjd), median, rmse (mean, original)', 'min', [
      'min',
      'median',
      'rmse',
    ]),
    preference: perTaskOption(
      'preference weight per task (LibMTL: all 1)',
      'uniform 1/T',
      (tasks) => tasks.map(() => 1 / tasks.length),
      { min: 0 },
    ),
  },
  create: (tasks, options) => new AlignedMtlStrategy(tasks, options as Required<AlignedMtlOptions>),
};
