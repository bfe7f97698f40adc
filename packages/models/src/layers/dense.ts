import * as tf from '@tensorflow/tfjs-core';
import { glorotUniform, type Initializer, zeros } from '../initializers.js';
import type { Scope } from '../variable-store.js';
import type { Activation } from './activation.js';

export interface DenseOptions {
  units: number;
  activation?: Activation;
  kernelInitializer?: Initializer;
}

/** y = activation(x W + b) over the last axis; any leading axes are kept. */
export class Dense {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
  private readonly activation: Activation;

  constructor(
    scope: Scope,
    readonly inputUnits: number,
    options: DenseOptions,
  ) {
    this.kernel = scope.variable('kernel', [inputUnits, options.units], options.kernelInitializer ?? glorotUniform());
    this.bias = scope.variable('bias', [options.units], zeros());
    this.activation = options.activation ?? 'linear';
  }

  apply(x: tf.Tensor): tf.Tensor {
    const leading = x.shape.slice(0, -1);
    const flat = tf.reshape(x, [-1, this.inputUnits]) as tf.Tensor2D;
    const y = tf.fused.matMul({ a: flat, b: this.kernel as tf.Tensor2D, bias: this.bias, activation: this.activation });
    return leading.length === 1 ? y : tf.reshape(y, [...leading, this.kernel.shape[1]!]);
  }
}
