/**
 * Reads a batch's clips from the clip cache and lays them out as the padded arrays a model
 * eats. Plain arrays, no tfjs: the prefetch worker runs this off the training thread.
 */
import { type CachedClipMeta, ClipCache } from '@mtl/media';
import type { InputSpec } from '@mtl/models';

/** One clip to load: its id and its key in the clip cache. */
export interface ClipRef {
  id: string;
  key: string;
}

export interface AssembleRequest {
  cacheDir: string;
  clips: ClipRef[];
  spec: InputSpec;
  /** Global audio normalisation (from the training split). */
  audioStats: { mean: number; std: number };
}

/** A padded batch as flat arrays, in the order of `clipIds`. */
export interface AssembledBatch {
  clipIds: string[];
  /** Valid frames per clip. */
  lengths: number[];
  /** Frames of the longest clip; every clip is zero-padded to it. */
  frames: number;
  /** [clips, frames * samplesPerFrame], normalised, zero past each clip's length. */
  audio?: Float32Array;
  /** [clips, frames, size, size, channels] in [0, 1], zero past each clip's length. */
  video?: Float32Array;
  /** Clips that failed to load, with the reason; left out of the batch. */
  skipped: { clipId: string; reason: string }[];
  /** Bytes of the arrays: what one batch costs in memory. */
  bytes: number;
  /** Milliseconds spent reading and assembling. */
  loadMs: number;
}

/** The differences between what a cached clip holds and what the model reads; empty when they agree. */
export function preprocessingDifferences(
  meta: Pick<CachedClipMeta, 'fps' | 'sampleRate' | 'samplesPerFrame' | 'size' | 'channels' | 'arrays'>,
  spec: InputSpec,
): string[] {
  const differences: string[] = [];
  const differ = (what: string, cached: unknown, model: unknown) => {
    if (cached !== model) differences.push(`${what}: cache has ${cached ?? 'none'}, model reads ${model}`);
  };
  differ('frame rate (fps)', meta.fps, spec.fps);
  if (spec.audio) {
    if (!meta.arrays.audio) differences.push('audio: cache has no audio, model reads audio');
    else {
      differ('audio sample rate', meta.sampleRate, spec.sampleRate);
      differ('audio samples per frame', meta.samplesPerFrame, spec.samplesPerFrame);
    }
  }
  if (spec.video) {
    if (!meta.arrays.video) differences.push('video: cache has no video, model reads video');
    else {
      differ('video frame size', meta.size, spec.frameSize);
      differ('video channels', meta.channels, spec.channels);
    }
  }
  return differences;
}

export async function assembleBatch(request: AssembleRequest): Promise<AssembledBatch> {
  const started = performance.now();
  const { spec } = request;
  const cache = new ClipCache(request.cacheDir);
  const skipped: AssembledBatch['skipped'] = [];
  const loaded: Awaited<ReturnType<ClipCache['read']>>[] = [];
  for (const clip of request.clips) {
    try {
      const read = await cache.read(clip.key);
      const differences = preprocessingDifferences(read.meta, spec);
      if (differences.length > 0)
        throw new Error(`cached preprocessing differs from the model: ${differences.join('; ')}`);
      // A NaN in the data would surface as a NaN loss steps later, far from its cause.
      const bad = spec.audio && read.audio ? read.audio.findIndex((v) => !Number.isFinite(v)) : -1;
      if (bad >= 0) throw new Error(`audio sample ${bad} is ${read.audio![bad]} (not finite)`);
      loaded.push(read);
    } catch (error) {
      skipped.push({ clipId: clip.id, reason: (error as Error).message });
    }
  }
  const lengths = loaded.map((clip) => clip.frameCount);
  const frames = Math.max(0, ...lengths);
  const batch: AssembledBatch = { clipIds: loaded.map((c) => c.id), lengths, frames, skipped, bytes: 0, loadMs: 0 };
  if (spec.audio) {
    const { mean, std } = request.audioStats;
    const scale = 1 / Math.max(std, 1e-8);
    const row = frames * spec.samplesPerFrame;
    const audio = new Float32Array(loaded.length * row);
    loaded.forEach((clip, i) => {
      const samples = clip.audio!;
      const offset = i * row;
      for (let s = 0; s < samples.length; s++) audio[offset + s] = (samples[s]! - mean) * scale;
    });
    batch.audio = audio;
  }
  if (spec.video) {
    const frameValues = spec.frameSize * spec.frameSize * spec.channels;
    const row = frames * frameValues;
    const video = new Float32Array(loaded.length * row);
    loaded.forEach((clip, i) => {
      const pixels = clip.video!;
      const offset = i * row;
      for (let p = 0; p < pixels.length; p++) video[offset + p] = pixels[p]! / 255;
    });
    batch.video = video;
  }
  batch.bytes = (batch.audio?.byteLength ?? 0) + (batch.video?.byteLength ?? 0);
  batch.loadMs = performance.now() - started;
  return batch;
}
