import { samplesPerFrame } from '@mtl/common';
import { decodeAudio } from '../audio/decode-audio.js';
import { decodeVideoCuts } from '../video/decode-cuts.js';
import { decodeVideo } from '../video/decode-video.js';
import type { CropOptions, DecodedVideo } from '../video/options.js';
import {
  type DecodeRuntime,
  type MediaClip,
  type PreprocessedClip,
  type PreprocessOptions,
  resolvePreprocessOptions,
} from './clip-options.js';
import { audioFrameCount, fitToFrames } from './frame-alignment.js';

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
