/**
 * What to do with audio after the last whole frame: `drop` it (the default, as the paper
 * reshapes audio to whole frames), or `pad` it with zeros to one more frame (audio-only).
 */
export type FrameRemainder = 'drop' | 'pad';

/** Frames an audio track of `sampleCount` samples fills. */
export function audioFrameCount(sampleCount: number, frameSamples: number, remainder: FrameRemainder): number {
  return remainder === 'pad' ? Math.ceil(sampleCount / frameSamples) : Math.floor(sampleCount / frameSamples);
}

/** Exactly `frames * frameSamples` samples: the tail cut off, or zeros appended. */
export function fitToFrames(samples: Float32Array, frames: number, frameSamples: number): Float32Array {
  const length = frames * frameSamples;
  if (samples.length === length) return samples;
  if (samples.length > length) return samples.slice(0, length);
  const padded = new Float32Array(length);
  padded.set(samples);
  return padded;
}
