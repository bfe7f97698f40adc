import { type GradConfig, stack, type Tensor, Unpack, type UnpackAttrs } from '@tensorflow/tfjs-core';

/**
 * Replaces tfjs-core 4.22's Unpack gradient, which fails when the unpacked axis has
 * size 1 (e.g. tf.unstack over a one-step sequence): the tape hands a single-output op
 * its gradient as one tensor, not an array, and stack() rejects it.
 */
export const unpackGradConfig: GradConfig = {
  kernelName: Unpack,
  gradFunc: (dy: Tensor | Tensor[], _saved: Tensor[], attrs) => {
    const { axis } = attrs as unknown as UnpackAttrs;
    return { value: () => stack(Array.isArray(dy) ? dy : [dy], axis) };
  },
};
