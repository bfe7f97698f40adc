import { GramianStrategy } from '../gradient-strategy.js';
import type { MethodDefinition } from '../method-definition.js';
import type { Matrix } from '../solvers/matrix.js';
import { projectWeightsOntoDualCone } from '../solvers/nonnegative-qp.js';
import { conditionedGramian, type DualConeOptions, dualConeOptionSpecs } from './dual-cone.js';

export type DualProjOptions = DualConeOptions;

/**
 * DualProj: the preference-weighted mean of the task gradients projected onto their dual
 * cone {d : g_j . d >= 0 for all j}, GEM's projection (Lopez-Paz, Ranzato, NeurIPS 2017,
 * Eq. 11) as an aggregator (Quinton, Rey, 2024). Rule: weights v = argmin_{v >= p} v^T G v,
 * solved exactly by an active-set method. Conventions, as torchjd: G normalised by its
 * trace plus a ridge `regEps` = 1e-4, `normEps` = 1e-4, preference uniform 1/T.
 */
class DualProjStrategy extends GramianStrategy {
  private readonly options: Required<DualConeOptions>;

  constructor(tasks: readonly string[], options: Required<DualConeOptions>) {
    super('dualproj', tasks, options);
    this.options = { ...options, preference: [...(options.preference as number[])] };
  }

  protected weightsFromGramian(gramian: Matrix): number[] {
    return projectWeightsOntoDualCone(
      this.options.preference as number[],
      conditionedGramian(gramian, this.options),
      'dualproj.useTaskGradients',
    );
  }
}

export const dualprojMethod: MethodDefinition<DualProjOptions> = {
  name: 'dualproj',
  summary: 'the preference-weighted mean gradient projected onto the dual cone of the task gradients',
  paper: {
    title: 'Gradient Episodic Memory for Continual Learning',
    authors: 'Lopez-Paz, Ranzato',
    venue: 'NeurIPS',
    year: 2017,
    url: 'https://arxiv.org/abs/1706.08840',
  },
  options: dualConeOptionSpecs,
  create: (tasks, options) => new DualProjStrategy(tasks, options as Required<DualConeOptions>),
};
