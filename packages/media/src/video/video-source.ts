// What a video file and a cut of it allow: the range, the stream, the crop box.
import { checkTimeRange } from '../audio/decode-audio.js';
import type { FfmpegBinaries } from '../ffmpeg/ffmpeg-binary.js';
import { type MediaInfo, probeMedia } from '../ffmpeg/probe-media.js';
import type { Box } from './crop-resize.js';
import type { VideoCut } from './options.js';

/** The cut's range within the file: where it starts, how long it is, and how long it was before the cap. */
export function cutRange(path: string, info: MediaInfo, cut: VideoCut, maxSeconds: number) {
  const start = cut.start ?? 0;
  checkTimeRange(`decodeVideo: ${path}`, start, cut.end);
  const fileEnd = info.durationSeconds;
  if (start >= fileEnd) throw new Error(`decodeVideo: ${path}: start ${start} s is past the end (${fileEnd} s)`);
  const sourceSeconds = Math.min(cut.end ?? fileEnd, fileEnd) - start;
  return { start, sourceSeconds, seconds: Math.min(sourceSeconds, maxSeconds) };
}

export async function probeVideo(path: string, binaries: FfmpegBinaries | undefined) {
  const info = await probeMedia(path, binaries);
  if (info.video === undefined) {
    const why = info.truncated ? `; the file looks truncated: ${info.truncated}` : '';
    throw new Error(`decodeVideo: ${path}: has no video stream (${info.container})${why}`);
  }
  return { ...info, video: info.video };
}

/** A file that looks cut off decodes fewer frames than it says it lasts: said on the clip. */
export function truncationWarnings(path: string, info: MediaInfo): string[] {
  return info.truncated
    ? [`${path}: the file looks truncated (${info.truncated}): frames past the cut-off are missing`]
    : [];
}

export function checkFixedBox(path: string, box: Box | undefined, width: number, height: number): Box {
  if (box === undefined)
    throw new Error(`decodeVideo: ${path}: crop mode 'fixed' needs crop.box (x, y, width, height)`);
  const values = [box.x, box.y, box.width, box.height];
  const fits = box.x >= 0 && box.y >= 0 && box.x + box.width <= width && box.y + box.height <= height;
  if (!values.every(Number.isInteger) || box.width <= 0 || box.height <= 0 || !fits) {
    throw new Error(
      `decodeVideo: ${path}: crop box ${JSON.stringify(box)} must be whole pixels inside the ${width}x${height} frame`,
    );
  }
  return box;
}
