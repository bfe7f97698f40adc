import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext } from '../forward-context.js';
import type { Scope } from '../variable-store.js';

/** Inverted dropout, active only in training; seeded per module when the context has a seed. */
export class Dropout {
  constructor(
    private readonly scope: Scope,
    readonly rate: number,
  ) {
    if (!(rate >= 0 && rate < 1)) throw new Error(`Dropout '${scope.path}': rate must be in [0, 1), got ${rate}`);
  }

  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    if (!ctx.training || this.rate === 0) return x;
    const seed = ctx.seed === undefined ? undefined : this.scope.seedFor(ctx.seed);
    return tf.dropout(x, this.rate, undefined, seed);
  }
}
