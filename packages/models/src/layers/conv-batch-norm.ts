import type * as tf from '@tensorflow/tfjs-core';
import type { RunningVariance, StridePadding } from '../config.js';
import type { ForwardContext } from '../forward-context.js';
import type { Scope } from '../variable-store.js';
import { BatchNorm } from './batch-norm.js';
import { Conv2D } from './conv2d.js';

export interface ConvBatchNormOptions {
  filters: number;
  kernel: number;
  stride?: number;
  relu: boolean;
  /** How a strided conv pads (see StridePadding). Default 'same'. */
  stridePadding?: StridePadding;
  /** Default 'biased'. */
  runningVariance?: RunningVariance;
}

/** The conv's padding: 'same', or for a strided conv under `symmetric`, (kernel - 1) / 2 pixels on every side. */
export function stridedPadding(kernel: number, stride: number, mode: StridePadding = 'same'): 'same' | number {
  return mode === 'symmetric' && stride > 1 ? Math.floor((kernel - 1) / 2) : 'same';
}

/** Conv2D without bias, then batch norm, then optionally ReLU: ResNet's unit. */
export class ConvBatchNorm {
  readonly conv: Conv2D;
  readonly norm: BatchNorm;
  private readonly relu: boolean;

  constructor(scope: Scope, inputChannels: number, options: ConvBatchNormOptions) {
    this.conv = new Conv2D(scope.child('conv'), inputChannels, {
      filters: options.filters,
      kernel: options.kernel,
      stride: options.stride ?? 1,
      padding: stridedPadding(options.kernel, options.stride ?? 1, options.stridePadding),
      useBias: false,
    });
    this.norm = new BatchNorm(scope.child('bn'), options.filters, {
      unbiasedRunningVariance: options.runningVariance === 'unbiased',
    });
    this.relu = options.relu;
  }

  apply(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    return this.norm.apply(this.conv.apply(x), ctx, this.relu) as tf.Tensor4D;
  }
}
