/** Mean and standard deviation of audio samples, e.g. over a training split. */
export interface AudioStats {
  mean: number;
  std: number;
  /** How many samples the statistics cover. */
  count: number;
}

/**
 * Accumulates the global mean and variance of many clips in one pass (the paper
 * normalises with one mean and variance from the training split). Sums are kept per clip in
 * float64 and merged with Chan's formula, so long corpora keep their precision.
 */
export class AudioStatsAccumulator {
  private count = 0;
  private mean = 0;
  private m2 = 0;

  add(samples: Float32Array): this {
    if (samples.length === 0) return this;
    let sum = 0;
    for (let i = 0; i < samples.length; i++) sum += samples[i]!;
    const clipMean = sum / samples.length;
    let clipM2 = 0;
    for (let i = 0; i < samples.length; i++) {
      const d = samples[i]! - clipMean;
      clipM2 += d * d;
    }
    const total = this.count + samples.length;
    const delta = clipMean - this.mean;
    this.mean += (delta * samples.length) / total;
    this.m2 += clipM2 + (delta * delta * this.count * samples.length) / total;
    this.count = total;
    return this;
  }

  stats(): AudioStats {
    if (this.count === 0) throw new Error('AudioStatsAccumulator: no samples were added');
    return { mean: this.mean, std: Math.sqrt(this.m2 / this.count), count: this.count };
  }
}

/** `global`: fixed statistics (from the training split); `utterance`: each clip's own. */
export type AudioNormalization =
  | { mode: 'global'; mean: number; std: number }
  | { mode: 'utterance' }
  | { mode: 'none' };

/** Guards against dividing by the deviation of silence. */
const MIN_STD = 1e-8;

/** Returns `(samples - mean) / std` as a new array; the input is left as it is. */
export function normalizeAudio(samples: Float32Array, normalization: AudioNormalization): Float32Array {
  if (normalization.mode === 'none') return samples.slice();
  let stats: { mean: number; std: number };
  if (normalization.mode === 'utterance') {
    stats = samples.length === 0 ? { mean: 0, std: 1 } : new AudioStatsAccumulator().add(samples).stats();
  } else {
    if (!Number.isFinite(normalization.mean) || !(normalization.std > 0)) {
      throw new Error(
        `normalizeAudio: global normalisation needs a finite mean and a positive std, got mean ${normalization.mean}, std ${normalization.std}`,
      );
    }
    stats = normalization;
  }
  const scale = 1 / Math.max(stats.std, MIN_STD);
  const output = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) output[i] = (samples[i]! - stats.mean) * scale;
  return output;
}
