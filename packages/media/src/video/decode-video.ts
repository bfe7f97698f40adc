import type { FfmpegCut } from '../ffmpeg/ffmpeg-cut.js';
import { decodeVideoCuts } from './decode-cuts.js';
import { decodeWithFaceDetection } from './face-tracked-decode.js';
import { type DecodedVideo, type DecodeVideoOptions, resolveSettings } from './options.js';
import { framed } from './raw-frames.js';
import { cutRange, probeVideo, truncationWarnings } from './video-source.js';

/**
 * Decodes the requested time range of a video at `fps` into `size` x `size` face crops,
 * straight from ffmpeg through a pipe (no frame files). Only the range is decoded: ffmpeg
 * seeks before opening the input.
 */
export async function decodeVideo(path: string, options: DecodeVideoOptions = {}): Promise<DecodedVideo> {
  const settings = resolveSettings(options);
  const { crop } = settings;
  if (crop.mode !== 'detect') {
    const [video] = await decodeVideoCuts(path, [{ start: options.start, end: options.end }], options);
    return video!;
  }
  const info = await probeVideo(path, options.binaries);
  const { start, sourceSeconds, seconds } = cutRange(path, info, options, settings.maxSeconds);
  const range: FfmpegCut = { path, start, seconds, threads: options.threads };
  const { fps, size, color } = settings;
  const { frames, face } = await decodeWithFaceDetection({
    range,
    info,
    fps,
    size,
    color,
    crop,
    binaries: options.binaries,
  });
  const warnings = truncationWarnings(path, info);
  if (face.fallback) {
    const box = crop.region ? 'the region box' : 'a centred square';
    warnings.push(`${path}: no face found in ${face.samples} detection frames; cropped ${box} instead`);
  }
  return {
    ...framed(path, frames, settings, seconds),
    sourceSeconds,
    capped: sourceSeconds > settings.maxSeconds,
    sourceWidth: info.video.width,
    sourceHeight: info.video.height,
    face,
    warnings,
  };
}
