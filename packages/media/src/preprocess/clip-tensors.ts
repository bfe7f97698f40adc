import * as tf from '@tensorflow/tfjs-core';
import { type AudioNormalization, normalizeAudio } from '../audio/audio-normalization.js';
import type { PreprocessedClip } from './clip-options.js';

export interface ClipTensors {
  frameCount: number;
  /** [frameCount, samplesPerFrame] float32: one row of samples per video frame. */
  audio?: tf.Tensor2D;
  /** [frameCount, size, size, channels] float32 in [0, 1]. */
  video?: tf.Tensor4D;
}

export interface ClipTensorOptions {
  /** Audio normalisation: the training split's global statistics, per utterance, or none. Default none. */
  normalization?: AudioNormalization;
}

/**
 * The tensors a model eats for one clip, aligned frame by frame. The caller owns them
 * (dispose them, or create them inside `tf.tidy`).
 */
export function clipToTensors(clip: PreprocessedClip, options: ClipTensorOptions = {}): ClipTensors {
  const result: ClipTensors = { frameCount: clip.frameCount };
  if (clip.audio) {
    const perFrame = clip.samplesPerFrame!;
    if (clip.audio.length !== clip.frameCount * perFrame) {
      throw new Error(
        `clipToTensors: clip ${clip.id}: ${clip.audio.length} audio samples are not ${clip.frameCount} x ${perFrame}`,
      );
    }
    const samples = normalizeAudio(clip.audio, options.normalization ?? { mode: 'none' });
    result.audio = tf.tensor2d(samples, [clip.frameCount, perFrame]);
  }
  if (clip.video) {
    const { size, channels } = clip as Required<Pick<PreprocessedClip, 'size' | 'channels'>>;
    if (clip.video.length !== clip.frameCount * size * size * channels) {
      throw new Error(
        `clipToTensors: clip ${clip.id}: ${clip.video.length} video bytes are not ${clip.frameCount} x ${size} x ${size} x ${channels}`,
      );
    }
    const pixels = new Float32Array(clip.video.length);
    for (let i = 0; i < pixels.length; i++) pixels[i] = clip.video[i]! / 255;
    result.video = tf.tensor4d(pixels, [clip.frameCount, size, size, channels]);
  }
  return result;
}
