import type { Settings } from './options.js';

/**
 * Raw frames on a pipe. A cut of `seconds` gives ceil(seconds x fps) frames (fewer where the
 * file ends), however ffmpeg reached the cut: the cap makes seeking and trimming agree.
 */
export const rawOutput = (seconds: number, fps: number, pixels: 'rgb24' | 'gray' = 'rgb24', pipe = '-') => [
  '-frames:v',
  String(Math.ceil(seconds * fps - 1e-9)),
  '-an',
  '-f',
  'rawvideo',
  '-pix_fmt',
  pixels,
  pipe,
];

/** Whole frames of the decoded bytes; a cut without one is an error. */
export function framed(path: string, frames: Uint8Array, settings: Settings, seconds: number) {
  const channels: 1 | 3 = settings.color === 'rgb' ? 3 : 1;
  const frameBytes = settings.size * settings.size * channels;
  const frameCount = Math.floor(frames.length / frameBytes);
  if (frameCount === 0) {
    throw new Error(
      `decodeVideo: ${path}: the clip (${seconds.toFixed(3)} s) is shorter than one frame at ${settings.fps} fps`,
    );
  }
  const { fps, size } = settings;
  return { frames: frames.subarray(0, frameCount * frameBytes), frameCount, size, channels, fps };
}
