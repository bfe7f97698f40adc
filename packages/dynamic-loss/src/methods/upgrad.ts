import { GramianStrategy } from '../gradient-strategy.js';
import type { MethodDefinition } from '../method-definition.js';
import type { Matrix } from '../solvers/matrix.js';
import { projectWeightsOntoDualCone } from '../solvers/nonnegative-qp.js';
import { conditionedGramian, type DualConeOptions, dualConeOptionSpecs } from './dual-cone.js';

export type UpGradOptions = DualConeOptions;

/**
 * UPGrad, unconflicting projection of gradients (Quinton, Rey, 2024, "Jacobian Descent
 * for Multi-Objective Optimization").
 * Rule: each task gradient, scaled by its preference p_i, is projected onto the dual cone
 * {d : g_j . d >= 0 for all j} and the projections are summed, so the direction never
 * conflicts with a task. In Gramian form the projection of J^T u is J^T v with
 * v = argmin_{v >= u} v^T G v; the weights are sum_i v(p_i e_i), solved exactly by an
 * active-set method. Conventions, as torchjd: G normalised by its trace plus a ridge
 * `regEps` = 1e-4, `normEps` = 1e-4, preference uniform 1/T.
 */
class UpGradStrategy extends GramianStrategy {
  private readonly options: Required<DualConeOptions>;

  constructor(tasks: readonly string[], options: Required<DualConeOptions>) {
    super('upgrad', tasks, options);
    this.options = { ...options, preference: [...(options.preference as number[])] };
  }

  protected weightsFromGramian(gramian: Matrix): number[] {
    const conditioned = conditionedGramian(gramian, this.options);
    const preference = this.options.preference as number[];
    const weights = new Array<number>(gramian.length).fill(0);
    preference.forEach((p, i) => {
      if (p === 0) return;
      const unit = preference.map((_, j) => (j === i ? p : 0));
      projectWeightsOntoDualCone(unit, conditioned, 'upgrad.useTaskGradients').forEach((v, j) => {
        weights[j] = (weights[j] as number) + v;
      });
    });
    return weights;
  }
}

export const upgradMethod: MethodDefinition<UpGradOptions> = {
  name: 'upgrad',
  summary: 'project each (preference-scaled) task gradient onto the dual cone of all of them, sum the projections',
  paper: {
    title: 'Jacobian Descent for Multi-Objective Optimization',
    authors: 'Quinton, Rey',
    venue: 'arXiv',
    year: 2024,
    url: 'https://arxiv.org/abs/2406.16232',
  },
  options: dualConeOptionSpecs,
  create: (tasks, options) => new UpGradStrategy(tasks, options as Required<DualConeOptions>),
};
