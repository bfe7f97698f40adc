import { numberOption, type OptionSpecs, perTaskOption } from '../options.js';
import { type Matrix, trace } from '../solvers/matrix.js';

/** The options UPGrad and DualProj share, with torchjd's defaults. */
export interface DualConeOptions {
  /** Preference weights of the tasks. Default uniform 1/T. */
  preference?: readonly number[] | Readonly<Record<string, number>>;
  /** Below this trace the Gramian counts as zero. Default 1e-4. */
  normEps?: number;
  /** Added to the diagonal of the trace-normalised Gramian so it is positive definite. Default 1e-4. */
  regEps?: number;
}

export const dualConeOptionSpecs: OptionSpecs<DualConeOptions> = {
  preference: perTaskOption('preference weight per task', 'uniform 1/T', (tasks) => tasks.map(() => 1 / tasks.length), {
    min: 0,
  }),
  normEps: numberOption('a Gramian with a smaller trace counts as zero', 1e-4, { min: 0 }),
  regEps: numberOption('ridge on the normalised Gramian', 1e-4, { min: 0 }),
};

/**
 * G / trace(G) + regEps I, torchjd's conditioning of the projection (zero when the trace is
 * below normEps): the dual-cone QP then has a unique solution even for dependent gradients,
 * and the weights do not depend on the scale of the losses.
 */
export function conditionedGramian(gramian: Matrix, options: Required<DualConeOptions>): Matrix {
  const total = trace(gramian);
  const factor = total < options.normEps ? 0 : 1 / total;
  return gramian.map((row, i) => row.map((x, j) => x * factor + (i === j ? options.regEps : 0)));
}
