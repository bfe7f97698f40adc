import { samplesPerFrame } from '@mtl/common';
import type { Box, ColorMode } from './crop-resize.js';
import { decodeAudio } from './decode-audio.js';
import { type CropOptions, type DecodedVideo, decodeVideo, decodeVideoCuts, type FaceReport } from './decode-video.js';
import { FACE_DETECTION_DEFAULTS } from './face-detector.js';
import type { FfmpegBinaries } from './ffmpeg-binary.js';
import { audioFrameCount, type FrameRemainder, fitToFrames } from './frame-alignment.js';

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

/** Decodes one clip's audio and video and aligns them on one frame axis. */
export async function preprocessClip(
  clip: MediaClip,
  options: Partial<PreprocessOptions> = {},
  runtime: DecodeRuntime = {},
): Promise<PreprocessedClip> {
  return assembleClip(clip, resolvePreprocessOptions(options), runtime);
}

/**
 * Preprocesses several clips; the video cuts that share one file (with a fixed or full
 * crop) are decoded in one ffmpeg run (`decodeVideoCuts`). Each clip succeeds or fails on
 * its own: a failed clip's place in the result holds its error.
 */
export async function preprocessClips(
  clips: MediaClip[],
  options: Partial<PreprocessOptions> = {},
  runtime: DecodeRuntime = {},
): Promise<(PreprocessedClip | Error)[]> {
  const settings = resolvePreprocessOptions(options);
  const videoPath = clips[0]?.videoPath;
  let videos: DecodedVideo[] = [];
  const sharesOneVideo = clips.length > 1 && videoPath !== undefined && clips.every((c) => c.videoPath === videoPath);
  if (settings.video && settings.video.crop.mode !== 'detect' && sharesOneVideo) {
    const cuts = clips.map((c) => ({ start: c.start, end: c.end, box: c.faceBox }));
    const video = { ...settings.video, fps: settings.fps, maxSeconds: settings.maxSeconds, ...runtime };
    // One bad cut fails the whole run; the clips are then decoded one by one, each failing alone.
    videos = await decodeVideoCuts(videoPath, cuts, video).catch(() => []);
  }
  const results: (PreprocessedClip | Error)[] = [];
  for (const [i, clip] of clips.entries()) {
    results.push(
      await assembleClip(clip, settings, runtime, videos[i]).catch((error: unknown) =>
        error instanceof Error ? error : new Error(String(error)),
      ),
    );
  }
  return results;
}

async function assembleClip(
  clip: MediaClip,
  settings: PreprocessOptions,
  runtime: DecodeRuntime,
  decodedVideo?: DecodedVideo,
): Promise<PreprocessedClip> {
  const { fps, maxSeconds } = settings;
  const range = { start: clip.start, end: clip.end, maxSeconds, ...runtime };
  const audioPath = clip.audioPath ?? clip.videoPath;
  if (settings.audio && audioPath === undefined) throw new Error(`clip ${clip.id}: has no audioPath or videoPath`);
  if (settings.video && clip.videoPath === undefined) throw new Error(`clip ${clip.id}: has no videoPath`);

  const [audio, video] = await Promise.all([
    settings.audio
      ? decodeAudio(audioPath!, {
          ...range,
          ...(clip.audioRange && { start: clip.audioRange.start, end: clip.audioRange.end }),
          sampleRate: settings.audio.sampleRate,
          channel: clip.channel ?? settings.audio.channel,
        })
      : undefined,
    settings.video
      ? (decodedVideo ??
        decodeVideo(clip.videoPath!, { ...range, ...settings.video, fps, crop: clipCrop(clip, settings.video.crop) }))
      : undefined,
  ]);

  const frameSamples = settings.audio ? samplesPerFrame(settings.audio.sampleRate, fps) : 0;
  const audioFrames = audio ? audioFrameCount(audio.samples.length, frameSamples, settings.remainder) : Infinity;
  const frameCount = Math.min(audioFrames, video?.frameCount ?? Infinity);
  const sourceSeconds = Math.max(audio?.sourceSeconds ?? 0, video?.sourceSeconds ?? 0);
  if (frameCount === 0) {
    throw new Error(
      `clip ${clip.id}: ${audioPath ?? clip.videoPath}: shorter than one frame (${(1 / fps).toFixed(3)} s at ${fps} fps)`,
    );
  }
  const frameBytes = video ? video.size * video.size * video.channels : 0;
  return {
    id: clip.id,
    frameCount,
    fps,
    ...(audio && {
      audio: fitToFrames(audio.samples, frameCount, frameSamples),
      sampleRate: audio.sampleRate,
      samplesPerFrame: frameSamples,
    }),
    ...(video && {
      video: video.frames.subarray(0, frameCount * frameBytes),
      size: video.size,
      channels: video.channels,
    }),
    sourceSeconds,
    capped: sourceSeconds > maxSeconds,
    ...(video?.face && { face: { ...video.face, boxes: video.face.boxes.slice(0, frameCount) } }),
    warnings: [...new Set([...(audio?.warnings ?? []), ...(video?.warnings ?? [])])],
  };
}

function clipCrop(clip: MediaClip, crop: CropOptions): CropOptions {
  if (clip.faceBox === undefined) return crop;
  if (crop.mode === 'fixed') return { ...crop, box: clip.faceBox };
  if (crop.mode === 'detect') return { ...crop, region: clip.faceBox };
  return crop;
}
