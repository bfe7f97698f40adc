import * as tf from '@tensorflow/tfjs-core';

/** Non-overlapping max pool of `size` steps over [batch, steps, channels]; `steps` must be a multiple of `size`. */
export function maxPool1d(x: tf.Tensor3D, size: number): tf.Tensor3D {
  const [batch, steps, channels] = x.shape;
  if (steps % size !== 0) throw new Error(`maxPool1d: ${steps} steps are not a multiple of the pool size ${size}`);
  if (size === 1) return x;
  const pooled = tf.maxPool(tf.reshape(x, [batch, 1, steps, channels]) as tf.Tensor4D, [1, size], [1, size], 'valid');
  return tf.reshape(pooled, [batch, steps / size, channels]);
}

/**
 * Max over groups of `size` adjacent channels (the paper's pool "across the channel axis"),
 * as a max pool along the flattened (step, channel) axis: the gradient of `tf.max` over a
 * new axis is a broadcast `Equal`, which took 6 ms on wasm for the compact preset's
 * [8, 750, 16] (MaxPoolGrad: 0.3 ms).
 */
export function channelMaxPool(x: tf.Tensor3D, size: number): tf.Tensor3D {
  const [batch, steps, channels] = x.shape;
  if (channels % size !== 0) {
    throw new Error(`channelMaxPool: ${channels} channels are not a multiple of the pool size ${size}`);
  }
  if (size === 1) return x;
  const flat = tf.reshape(x, [batch, 1, steps * channels, 1]) as tf.Tensor4D;
  return tf.reshape(tf.maxPool(flat, [1, size], [1, size], 'valid'), [batch, steps, channels / size]);
}

/** Max pool over NHWC images, 'same' padding or `padding` pixels on every side (ResNet's stem pool: size 3, stride 2). */
export function maxPool2d(
  x: tf.Tensor4D,
  size: number,
  stride: number,
  padding: 'same' | number = 'same',
): tf.Tensor4D {
  return tf.maxPool(x, size, stride, padding);
}

/** Mean over height and width: [batch, h, w, c] -> [batch, c]. */
export function globalAveragePool2d(x: tf.Tensor4D): tf.Tensor2D {
  return tf.mean(x, [1, 2]);
}
