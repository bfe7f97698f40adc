import * as tf from '@tensorflow/tfjs-core';

/** The value of `x`, through which no gradient flows (tfjs-core has no `stopGradient`). */
export const stopGradient = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.clone(inputs[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as <T extends tf.Tensor>(x: T) => T;
