import { SeededRandom } from '@mtl/common';
import * as tf from '@tensorflow/tfjs-core';

/** Uniform draws in (0, 1) from the repo's seeded generator, so every case is reproducible. */
export function seededRandom(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

export function randomInt(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

/** Uniform values in [-1, 1) for a tensor of the given shape (or element count). */
export function randomValues(rand: () => number, shape: number | readonly number[]): Float32Array {
  const size = typeof shape === 'number' ? shape : shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(size);
  for (let i = 0; i < size; i++) v[i] = rand() * 2 - 1;
  return v;
}

/** max |a - b| / max(1e-6, max |b|): the error relative to the reference's scale. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let scale = 1e-6;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs((actual[i] as number) - (expected[i] as number)));
    scale = Math.max(scale, Math.abs(expected[i] as number));
  }
  return diff / scale;
}

/**
 * Runs `fn` on each backend with fresh tensors made from the same plain inputs, and
 * returns every output's values and shape per backend.
 */
export async function onBackends(
  backends: string[],
  fn: () => tf.Tensor | tf.Tensor[],
): Promise<Record<string, { shape: number[]; values: Float32Array }[]>> {
  const results: Record<string, { shape: number[]; values: Float32Array }[]> = {};
  for (const name of backends) {
    await tf.setBackend(name);
    const outputs = tf.tidy(fn);
    const list = Array.isArray(outputs) ? outputs : [outputs];
    results[name] = list.map((t) => ({ shape: t.shape, values: Float32Array.from(t.dataSync()) }));
    tf.dispose(list);
  }
  return results;
}
