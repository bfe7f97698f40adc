import * as tf from '@tensorflow/tfjs-core';
import { heNormal, type Initializer, zeros } from '../initializers.js';
import type { Scope } from '../variable-store.js';
import type { Activation } from './activation.js';

export interface Conv2DOptions {
  filters: number;
  kernel: number;
  stride?: number;
  /** 'same', 'valid', or this many pixels on every side. Default 'same'. */
  padding?: 'same' | 'valid' | number;
  activation?: Activation;
  /** Off before a batch norm, whose shift makes a bias redundant. Default true. */
  useBias?: boolean;
  kernelInitializer?: Initializer;
}

/** A 2-D convolution over NHWC images with an optional bias and a fused activation. */
export class Conv2D {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable | undefined;
  private readonly stride: number;
  private readonly padding: 'same' | 'valid' | number;
  private readonly activation: Activation;

  constructor(
    scope: Scope,
    readonly inputChannels: number,
    options: Conv2DOptions,
  ) {
    const shape = [options.kernel, options.kernel, inputChannels, options.filters];
    this.kernel = scope.variable('kernel', shape, options.kernelInitializer ?? heNormal());
    this.bias = options.useBias === false ? undefined : scope.variable('bias', [options.filters], zeros());
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 'same';
    this.activation = options.activation ?? 'linear';
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    if (x.shape[3] !== this.inputChannels) {
      throw new Error(`Conv2D: expected ${this.inputChannels} input channels, got ${x.shape[3]}`);
    }
    // tf.fused.conv2d's gradient computes the input's gradient even where nothing needs it
    // (a first layer's images): on wasm 20 % of the compact step. Plain conv2d's is lazy.
    if (this.bias === undefined && this.activation === 'linear') {
      return tf.conv2d(x, this.kernel as tf.Tensor4D, this.stride, this.padding);
    }
    return tf.fused.conv2d({
      x,
      filter: this.kernel as tf.Tensor4D,
      strides: this.stride,
      pad: this.padding,
      bias: this.bias,
      activation: this.activation,
    });
  }
}
