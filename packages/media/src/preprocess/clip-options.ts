// What a clip is, what preprocessing makes of it, and the one place its options get their defaults.
import { samplesPerFrame } from '@mtl/common';
import type { FfmpegBinaries } from '../ffmpeg/ffmpeg-binary.js';
import type { Box, ColorMode } from '../video/crop-resize.js';
import { FACE_DETECTION_DEFAULTS } from '../video/face-detector.js';
import type { CropOptions, FaceReport } from '../video/options.js';
import type { FrameRemainder } from './frame-alignment.js';

/** One clip to preprocess: an entry of a corpus manifest. */
export interface MediaClip {
  id: string;
  /** Audio file (WAV or any container); defaults to `videoPath` when the clip has video. */
  audioPath?: string;
  videoPath?: string;
  /** Cut of the files, in seconds (IEMOCAP utterances inside whole-dialog files). */
  start?: number;
  end?: number;
  /**
   * The audio's own cut, when it differs from `start`/`end`: IEMOCAP's utterance WAV is
   * read whole (`{}`) next to its cut of the dialog video.
   */
  audioRange?: { start?: number; end?: number };
  /** Audio channel of this clip's speaker; overrides `audio.channel`. */
  channel?: number | 'mix';
  /** Face box of this clip: the crop in `fixed` mode, the search region in `detect` mode. */
  faceBox?: Box;
}

export interface PreprocessOptions {
  /** Frame rate of the shared audio/video time axis. */
  fps: number;
  /** Longest clip kept, in seconds; the true length is recorded. */
  maxSeconds: number;
  /** Audio after the last whole frame: dropped, or zero-padded to a frame. */
  remainder: FrameRemainder;
  audio: { sampleRate: number; channel: number | 'mix' } | false;
  video: { size: number; color: ColorMode; crop: CropOptions } | false;
}

/** The paper's settings: 16 kHz mono, 25 fps, 96x96 RGB fixed face boxes, 640 samples per frame, 6 s cap. */
export const PAPER_PREPROCESSING: PreprocessOptions = {
  fps: 25,
  maxSeconds: 6,
  remainder: 'drop',
  audio: { sampleRate: 16_000, channel: 'mix' },
  video: { size: 96, color: 'rgb', crop: { mode: 'fixed' } },
};

export interface PreprocessedClip {
  id: string;
  /** Steps on the shared time axis; audio and video both have exactly this many frames. */
  frameCount: number;
  fps: number;
  /** frameCount x samplesPerFrame float samples (not normalised: statistics depend on the split). */
  audio?: Float32Array;
  sampleRate?: number;
  samplesPerFrame?: number;
  /** frameCount x size x size x channels bytes. */
  video?: Uint8Array;
  size?: number;
  channels?: 1 | 3;
  /** Length of the clip before the cap. */
  sourceSeconds: number;
  capped: boolean;
  face?: FaceReport;
  warnings: string[];
}

/** A crop with every default filled in: a `detect` crop gets FACE_DETECTION_DEFAULTS for what it leaves unset. */
function resolveCrop(crop: CropOptions | undefined, fallback: CropOptions): CropOptions {
  const chosen = crop ?? fallback;
  return chosen.mode === 'detect' ? { ...FACE_DETECTION_DEFAULTS, ...chosen } : { ...chosen };
}

/**
 * Fills every unset option, down to the face detector's, from the paper's settings and
 * FACE_DETECTION_DEFAULTS, and checks them: the one place defaults are decided, so the
 * cache key (computed from the result) changes whenever a default does.
 */
export function resolvePreprocessOptions(options: Partial<PreprocessOptions> = {}): PreprocessOptions {
  const paper = PAPER_PREPROCESSING;
  const audio = options.audio ?? paper.audio;
  const video = options.video ?? paper.video;
  const resolved: PreprocessOptions = {
    fps: options.fps ?? paper.fps,
    maxSeconds: options.maxSeconds ?? paper.maxSeconds,
    remainder: options.remainder ?? paper.remainder,
    audio: audio && paper.audio && { ...paper.audio, ...audio },
    video: video && paper.video && { ...paper.video, ...video, crop: resolveCrop(video.crop, paper.video.crop) },
  };
  if (!(resolved.fps > 0)) throw new Error(`preprocess options: fps must be > 0, got ${resolved.fps}`);
  if (!(resolved.maxSeconds > 0))
    throw new Error(`preprocess options: maxSeconds must be > 0, got ${resolved.maxSeconds}`);
  if (resolved.remainder !== 'drop' && resolved.remainder !== 'pad') {
    throw new Error(`preprocess options: remainder must be drop or pad, got ${resolved.remainder}`);
  }
  if (resolved.audio === false && resolved.video === false) {
    throw new Error('preprocess options: audio and video are both off; nothing to do');
  }
  if (resolved.audio) samplesPerFrame(resolved.audio.sampleRate, resolved.fps);
  return resolved;
}

/** How to run ffmpeg; no part of the result, so no part of the cache key. */
export interface DecodeRuntime {
  binaries?: FfmpegBinaries;
  /** ffmpeg decoding threads; default ffmpeg's choice. */
  threads?: number;
}
