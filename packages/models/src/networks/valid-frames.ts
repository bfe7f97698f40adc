import * as tf from '@tensorflow/tfjs-core';

/**
 * video [batch, frames, size, size, channels] -> [batch, frames, features], running `encode`
 * ([n, size, size, channels] -> [n, features]) on the valid frames only: padding costs
 * nothing, never reaches the encoder (nor its batch statistics), and gets zero features.
 */
export function encodeValidFrames(
  video: tf.Tensor5D,
  lengths: readonly number[],
  features: number,
  encode: (images: tf.Tensor4D) => tf.Tensor2D,
): tf.Tensor3D {
  const [batch, frames, height, width, channels] = video.shape;
  const all = tf.reshape(video, [batch * frames, height, width, channels]) as tf.Tensor4D;
  const validCount = lengths.reduce((a, b) => a + b, 0);
  if (validCount === batch * frames) return tf.reshape(encode(all), [batch, frames, features]);
  const validRows: number[] = [];
  // Row of each (clip, frame) in [valid features; one zero row].
  const scatter = new Int32Array(batch * frames).fill(validCount);
  lengths.forEach((length, clip) => {
    for (let t = 0; t < length; t++) {
      scatter[clip * frames + t] = validRows.length;
      validRows.push(clip * frames + t);
    }
  });
  const encoded = encode(tf.gather(all, tf.tensor1d(validRows, 'int32')));
  const padded = tf.concat([encoded, tf.zeros([1, features])], 0);
  return tf.reshape(tf.gather(padded, tf.tensor1d(scatter, 'int32')), [batch, frames, features]);
}
