import * as tf from '@tensorflow/tfjs-core';

/** Per-clip lengths in frames, as given to a forward pass. */
export type Lengths = readonly number[] | Int32Array | tf.Tensor1D;

/**
 * Reads and checks per-clip lengths: one integer in [1, steps] per clip. `where` names
 * the caller in the error.
 */
export function readLengths(lengths: Lengths, batch: number, steps: number, where: string): number[] {
  const values = lengths instanceof tf.Tensor ? Array.from(lengths.dataSync()) : Array.from(lengths);
  if (values.length !== batch) {
    throw new Error(`${where}: lengths has ${values.length} entries for a batch of ${batch} clips`);
  }
  values.forEach((length, clip) => {
    if (!Number.isInteger(length) || length < 1 || length > steps) {
      throw new Error(`${where}: lengths[${clip}] = ${length}; each length must be an integer in [1, ${steps}] frames`);
    }
  });
  return values;
}
