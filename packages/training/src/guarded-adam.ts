import { FusedAdamOptimizer } from '@mtl/backend';
import * as tf from '@tensorflow/tfjs-core';

/** tfjs's Adam's private running powers of its betas. */
interface BetaPowers {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
}

/** Gradients with a NaN or infinite value reached the optimiser; nothing was updated. */
export class NonFiniteGradients extends Error {
  constructor(readonly variables: string[]) {
    super(`non-finite gradient of ${variables.join(', ')}`);
    this.name = 'NonFiniteGradients';
  }
}

/** The names of the gradients holding a NaN or an infinity (one reduction, one read). */
export function nonFiniteGradients(gradients: tf.NamedTensorMap): string[] {
  const names = Object.keys(gradients);
  if (names.length === 0) return [];
  const sums = tf.tidy(() => tf.stack(names.map((name) => tf.sum(tf.abs(gradients[name]!)))).dataSync());
  return names.filter((_, i) => !Number.isFinite(sums[i]!));
}

/**
 * Adam (the backend's fused update: tf.train.adam's state and numbers, one kernel a variable)
 * that refuses non-finite gradients before touching any variable, so a step that diverges
 * leaves the model and the moments as they were (the run can report it and its checkpoints
 * stay good). The check is one reduction per step.
 */
export class GuardedAdam extends FusedAdamOptimizer {
  constructor(learningRate: number) {
    // tf.train.adam's defaults.
    super(learningRate, 0.9, 0.999);
  }

  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    const map: tf.NamedTensorMap = Array.isArray(variableGradients)
      ? Object.fromEntries(variableGradients.map(({ name, tensor }) => [name, tensor]))
      : variableGradients;
    const bad = nonFiniteGradients(map);
    if (bad.length > 0) throw new NonFiniteGradients(bad);
    super.applyGradients(variableGradients);
  }

  /**
   * beta1^t and beta2^t as Adam holds them. tfjs builds them by repeated products but
   * `setWeights` recomputes them with pow, which differs in the last bits: a checkpoint keeps
   * them, so a resumed run updates exactly like an uninterrupted one.
   */
  betaPowers(): { beta1: number; beta2: number } {
    const { accBeta1, accBeta2 } = this as unknown as BetaPowers;
    return { beta1: accBeta1.dataSync()[0]!, beta2: accBeta2.dataSync()[0]! };
  }

  setBetaPowers(powers: { beta1: number; beta2: number }): void {
    const { accBeta1, accBeta2 } = this as unknown as BetaPowers;
    tf.tidy(() => {
      accBeta1.assign(tf.scalar(powers.beta1));
      accBeta2.assign(tf.scalar(powers.beta2));
    });
  }

  /** Adam reads its learning rate from this field at every update (the schedule sets it each epoch). */
  setLearningRate(lr: number): void {
    this.learningRate = lr;
  }
}
