import * as tf from '@tensorflow/tfjs-core';
import { heNormal, type Initializer, zeros } from '../initializers.js';
import type { Scope } from '../variable-store.js';
import type { Activation } from './activation.js';

export interface Conv1DOptions {
  filters: number;
  kernel: number;
  stride?: number;
  padding?: 'same' | 'valid';
  activation?: Activation;
  kernelInitializer?: Initializer;
}

/** A 1-D convolution over [batch, steps, channels] with bias and a fused activation. */
export class Conv1D {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
  readonly stride: number;
  private readonly padding: 'same' | 'valid';
  private readonly activation: Activation;

  constructor(
    scope: Scope,
    readonly inputChannels: number,
    options: Conv1DOptions,
  ) {
    const shape = [options.kernel, inputChannels, options.filters];
    this.kernel = scope.variable('kernel', shape, options.kernelInitializer ?? heNormal());
    this.bias = scope.variable('bias', [options.filters], zeros());
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 'same';
    this.activation = options.activation ?? 'linear';
  }

  apply(x: tf.Tensor3D): tf.Tensor3D {
    const [batch, steps, channels] = x.shape;
    if (channels !== this.inputChannels) {
      throw new Error(`Conv1D: expected ${this.inputChannels} input channels, got ${channels}`);
    }
    // As a 1 x steps image, so the fused conv2d kernel (bias + activation in one pass) does the work.
    const [k, inC, outC] = this.kernel.shape as [number, number, number];
    const y = tf.fused.conv2d({
      x: tf.reshape(x, [batch, 1, steps, channels]) as tf.Tensor4D,
      filter: tf.reshape(this.kernel, [1, k, inC, outC]) as tf.Tensor4D,
      strides: [1, this.stride],
      pad: this.padding,
      bias: this.bias,
      activation: this.activation,
    });
    return tf.reshape(y, [batch, y.shape[2], outC]);
  }
}
