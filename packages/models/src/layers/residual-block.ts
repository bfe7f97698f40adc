import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext } from '../forward-context.js';
import type { Scope } from '../variable-store.js';
import { ConvBatchNorm, type ConvBatchNormOptions } from './conv-batch-norm.js';

/** `basic`: two 3x3 convs (ResNet-18/34); `bottleneck`: 1x1, 3x3, 1x1 with 4x expansion (ResNet-50). */
export type ResidualBlockKind = 'basic' | 'bottleneck';

export interface ResidualBlockOptions {
  kind: ResidualBlockKind;
  filters: number;
  /** Stride of the block, on its 3x3 conv (as torchvision's ResNet-50) and on the projection. */
  stride: number;
  /** Passed to every ConvBatchNorm of the block. */
  unit?: Pick<ConvBatchNormOptions, 'stridePadding' | 'runningVariance'>;
}

export function residualOutputChannels(kind: ResidualBlockKind, filters: number): number {
  return kind === 'bottleneck' ? 4 * filters : filters;
}

/** relu(body(x) + shortcut(x)); the shortcut is a strided 1x1 conv + BN when the shape changes. */
export class ResidualBlock {
  readonly outputChannels: number;
  private readonly body: ConvBatchNorm[];
  private readonly projection: ConvBatchNorm | undefined;

  constructor(scope: Scope, inputChannels: number, options: ResidualBlockOptions) {
    const { kind, filters, stride } = options;
    const unit = options.unit ?? {};
    this.outputChannels = residualOutputChannels(kind, filters);
    this.body =
      kind === 'bottleneck'
        ? [
            new ConvBatchNorm(scope.child('conv1'), inputChannels, { ...unit, filters, kernel: 1, relu: true }),
            new ConvBatchNorm(scope.child('conv2'), filters, { ...unit, filters, kernel: 3, stride, relu: true }),
            new ConvBatchNorm(scope.child('conv3'), filters, {
              ...unit,
              filters: this.outputChannels,
              kernel: 1,
              relu: false,
            }),
          ]
        : [
            new ConvBatchNorm(scope.child('conv1'), inputChannels, { ...unit, filters, kernel: 3, stride, relu: true }),
            new ConvBatchNorm(scope.child('conv2'), filters, { ...unit, filters, kernel: 3, relu: false }),
          ];
    this.projection =
      stride !== 1 || inputChannels !== this.outputChannels
        ? new ConvBatchNorm(scope.child('shortcut'), inputChannels, {
            ...unit,
            filters: this.outputChannels,
            kernel: 1,
            stride,
            relu: false,
          })
        : undefined;
  }

  apply(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    let y = x;
    for (const unit of this.body) y = unit.apply(y, ctx);
    const shortcut = this.projection === undefined ? x : this.projection.apply(x, ctx);
    return tf.relu(tf.add(y, shortcut)) as tf.Tensor4D;
  }
}
