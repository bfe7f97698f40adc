import { runFfmpeg } from '../ffmpeg/run-ffmpeg.js';
import { type DecodedVideo, type DecodeVideoOptions, resolveSettings, type VideoCut } from './options.js';
import { framed, rawOutput } from './raw-frames.js';
import { checkFixedBox, cutRange, probeVideo, truncationWarnings } from './video-source.js';

/**
 * Decodes several cuts of one file (`fixed` or `full` crop) in a single ffmpeg run: it seeks
 * once, to the earliest cut, and splits the decoded stream into one trimmed, cropped,
 * resized output per cut. IEMOCAP's utterances are cuts of long dialog videos; decoding
 * them together saves decoding the stretch from a keyframe to each cut again and again.
 * Each cut's clock restarts at its own start, so its frames are those `decodeVideo` gives
 * for it alone (a frame exactly halfway between two output times may round either way).
 */
export async function decodeVideoCuts(
  path: string,
  cuts: VideoCut[],
  options: Omit<DecodeVideoOptions, 'start' | 'end'> = {},
): Promise<DecodedVideo[]> {
  const settings = resolveSettings(options);
  const { fps, size, color, crop, maxSeconds } = settings;
  if (crop.mode === 'detect')
    throw new Error('decodeVideoCuts: face detection decodes one cut at a time; use decodeVideo');
  if (cuts.length === 0) return [];
  const info = await probeVideo(path, options.binaries);
  const { width, height } = info.video;
  const ranges = cuts.map((cut) => cutRange(path, info, cut, maxSeconds));
  const boxes = cuts.map((cut) =>
    crop.mode === 'fixed' ? checkFixedBox(path, cut.box ?? crop.box, width, height) : undefined,
  );
  const pixels = color === 'rgb' ? 'rgb24' : 'gray';
  const outputs = ranges.length;
  const pipeOf = (i: number) => (i === 0 ? 'pipe:1' : `pipe:${i + 2}`);
  const run = async (seek: boolean) => {
    const base = seek ? Math.min(...ranges.map((r) => r.start)) : 0;
    const end = Math.max(...ranges.map((r) => r.start + r.seconds));
    const chains = ranges.map(({ start, seconds }, i) => {
      const box = boxes[i];
      const offset = start - base;
      // exact=1: odd boxes are not rounded to the chroma grid, so the crop is where it was asked.
      const cut = box ? `crop=${box.width}:${box.height}:${box.x}:${box.y}:exact=1,` : '';
      const scaleFlags = (box?.width ?? width) > size ? 'area' : 'bicubic';
      const trim = `trim=start=${offset}:duration=${seconds},setpts=PTS-${offset}/TB`;
      return `[s${i}]${trim},fps=${fps},${cut}scale=${size}:${size}:flags=${scaleFlags}[o${i}]`;
    });
    const graph = `[0:v]split=${outputs}${ranges.map((_, i) => `[s${i}]`).join('')};${chains.join(';')}`;
    const threads = options.threads === undefined ? [] : ['-threads', String(options.threads)];
    const input = [...(seek && base > 0 ? ['-ss', String(base)] : []), '-t', String(end - base), '-i', path];
    const maps = ranges.flatMap(({ seconds }, i) => ['-map', `[o${i}]`, ...rawOutput(seconds, fps, pixels, pipeOf(i))]);
    const args = ['-loglevel', 'warning', '-nostats', ...threads, ...input, '-filter_complex', graph, ...maps];
    return runFfmpeg(args, { binaries: options.binaries, extraOutputs: outputs - 1 });
  };
  let result = await run(true);
  // A file ffmpeg cannot seek in (an FLV without a keyframe index) is read from its start.
  if (result.stderr.includes('could not seek')) result = await run(false);
  return ranges.map(({ seconds, sourceSeconds }, i) => {
    const bytes = i === 0 ? result.stdout : result.extra[i - 1]!;
    const frames = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    return {
      ...framed(path, frames, settings, seconds),
      sourceSeconds,
      capped: sourceSeconds > maxSeconds,
      sourceWidth: width,
      sourceHeight: height,
      warnings: truncationWarnings(path, info),
    };
  });
}
