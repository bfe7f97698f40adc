/**
 * Audio and video share one time axis of frames: frame i owns audio samples
 * [i * samplesPerFrame, (i + 1) * samplesPerFrame). samplesPerFrame = sampleRate / fps must
 * be a whole number (16 kHz at 25 fps gives the paper's 640), so every frame gets the same
 * number of samples and frames never drift against the audio.
 */
export function samplesPerFrame(sampleRate: number, fps: number): number {
  const value = sampleRate / fps;
  if (!Number.isInteger(value)) {
    throw new Error(
      `samplesPerFrame: sampleRate ${sampleRate} / fps ${fps} = ${value.toFixed(3)} is not a whole number of samples; ` +
        'pick a pair that divides (16000 Hz works with 10, 16, 20, 25, 32, 40 or 50 fps)',
    );
  }
  return value;
}

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
