import { type Box, type ColorMode, cropResize } from './crop-resize.js';
import { checkTimeRange } from './decode-audio.js';
import { FACE_DETECTION_DEFAULTS, type FaceDetectorName, loadFaceDetector } from './face-detector.js';
import { buildFaceTrack, type FaceTrack } from './face-track.js';
import type { FfmpegBinaries } from './ffmpeg-binary.js';
import { type FfmpegCut, runFfmpegCut } from './ffmpeg-cut.js';
import { type MediaInfo, probeMedia } from './probe-media.js';
import { runFfmpeg } from './run-ffmpeg.js';

/**
 * How the face is cut from each frame: `fixed` box in source pixels (the paper's IEMOCAP
 * boxes); `detect`: face detection, a smoothed track, a margin, and a logged fallback;
 * `full`: the whole frame (already-cropped faces).
 */
export type CropOptions =
  | { mode: 'fixed'; box?: Box }
  | {
      mode: 'detect';
      detector?: FaceDetectorName;
      /** Detection runs at this rate; the track is interpolated between. Default 5. */
      detectFps?: number;
      /** Lowest detection score kept. Default 0.5. */
      minScore?: number;
      /** Added on every side of the face, as a fraction of its size. Default 0.25. */
      margin?: number;
      /** Moving-average width of the box track in seconds. Default 0.5. */
      smoothingSeconds?: number;
      /** Only faces centred in this box count (e.g. one speaker's half); also the fallback. */
      region?: Box;
      /** Frames are shrunk so their longer side is at most this for detection. Default 640. */
      detectMaxSide?: number;
    }
  | { mode: 'full' };

export interface DecodeVideoOptions {
  /** Output frame rate. Default 25 (the paper). */
  fps?: number;
  /** Output frames are size x size. Default 96. */
  size?: number;
  color?: ColorMode;
  /** Default `{ mode: 'full' }`. */
  crop?: CropOptions;
  start?: number;
  end?: number;
  maxSeconds?: number;
  binaries?: FfmpegBinaries;
  /** ffmpeg decoding threads; default ffmpeg's choice. One is cheapest when clips run in parallel. */
  threads?: number;
}

export interface FaceReport {
  detector: FaceDetectorName;
  /** Detection samples that found a face, of all samples. */
  detectedSamples: number;
  samples: number;
  fallback: boolean;
  /** The crop box of every output frame, in source pixels (0.1 px precision). */
  boxes: Box[];
}

export interface DecodedVideo {
  /** frameCount x size x size x channels bytes, row-major, channels last. */
  frames: Uint8Array;
  frameCount: number;
  size: number;
  channels: 1 | 3;
  fps: number;
  sourceSeconds: number;
  capped: boolean;
  sourceWidth: number;
  sourceHeight: number;
  face?: FaceReport;
  /** Things worth logging that did not stop decoding (a face fallback, for one). */
  warnings: string[];
}

/**
 * Raw frames on a pipe. A cut of `seconds` gives ceil(seconds x fps) frames (fewer where the
 * file ends), however ffmpeg reached the cut: the cap makes seeking and trimming agree.
 */
const rawOutput = (seconds: number, fps: number, pixels: 'rgb24' | 'gray' = 'rgb24', pipe = '-') => [
  '-frames:v',
  String(Math.ceil(seconds * fps - 1e-9)),
  '-an',
  '-f',
  'rawvideo',
  '-pix_fmt',
  pixels,
  pipe,
];

/** One cut of a file for `decodeVideoCuts`: its time range and, in `fixed` mode, its box. */
export interface VideoCut {
  start?: number;
  end?: number;
  box?: Box;
}

interface Settings {
  fps: number;
  size: number;
  color: ColorMode;
  crop: CropOptions;
  maxSeconds: number;
}

function resolveSettings(options: DecodeVideoOptions): Settings {
  const settings: Settings = {
    fps: options.fps ?? 25,
    size: options.size ?? 96,
    color: options.color ?? 'rgb',
    crop: options.crop ?? { mode: 'full' },
    maxSeconds: options.maxSeconds ?? Number.POSITIVE_INFINITY,
  };
  const { fps, size, color, maxSeconds } = settings;
  if (!(fps > 0)) throw new Error(`decodeVideo: fps must be > 0, got ${fps}`);
  if (!(Number.isInteger(size) && size > 0))
    throw new Error(`decodeVideo: size must be a positive integer, got ${size}`);
  if (color !== 'rgb' && color !== 'grey') throw new Error(`decodeVideo: color must be rgb or grey, got ${color}`);
  if (!(maxSeconds > 0)) throw new Error(`decodeVideo: maxSeconds must be > 0, got ${maxSeconds}`);
  return settings;
}

/** The cut's range within the file: where it starts, how long it is, and how long it was before the cap. */
function cutRange(path: string, info: MediaInfo, cut: VideoCut, maxSeconds: number) {
  const start = cut.start ?? 0;
  checkTimeRange(`decodeVideo: ${path}`, start, cut.end);
  const fileEnd = info.durationSeconds;
  if (start >= fileEnd) throw new Error(`decodeVideo: ${path}: start ${start} s is past the end (${fileEnd} s)`);
  const sourceSeconds = Math.min(cut.end ?? fileEnd, fileEnd) - start;
  return { start, sourceSeconds, seconds: Math.min(sourceSeconds, maxSeconds) };
}

async function probeVideo(path: string, binaries: FfmpegBinaries | undefined) {
  const info = await probeMedia(path, binaries);
  if (info.video === undefined) {
    const why = info.truncated ? `; the file looks truncated: ${info.truncated}` : '';
    throw new Error(`decodeVideo: ${path}: has no video stream (${info.container})${why}`);
  }
  return { ...info, video: info.video };
}

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

/** Whole frames of the decoded bytes; a cut without one is an error. */
function framed(path: string, frames: Uint8Array, settings: Settings, seconds: number) {
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

/** A file that looks cut off decodes fewer frames than it says it lasts: said on the clip. */
function truncationWarnings(path: string, info: MediaInfo): string[] {
  return info.truncated
    ? [`${path}: the file looks truncated (${info.truncated}): frames past the cut-off are missing`]
    : [];
}

function checkFixedBox(path: string, box: Box | undefined, width: number, height: number): Box {
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

const roundBox = (box: Box): Box => {
  const round = (v: number) => Math.round(v * 10) / 10;
  return { x: round(box.x), y: round(box.y), width: round(box.width), height: round(box.height) };
};

/** The whole-pixel rectangle of the frame covered by the track's boxes over `frames` frames. */
function visitedArea(track: FaceTrack, frames: number, fps: number, width: number, height: number): Box {
  let [left, top, right, bottom] = [width, height, 0, 0];
  for (let i = 0; i < frames; i++) {
    const box = track.boxAt(i / fps);
    left = Math.min(left, Math.floor(box.x));
    top = Math.min(top, Math.floor(box.y));
    right = Math.max(right, Math.ceil(box.x + box.width) + 1);
    bottom = Math.max(bottom, Math.ceil(box.y + box.height) + 1);
  }
  const x = Math.max(0, Math.min(left, width - 2));
  const y = Math.max(0, Math.min(top, height - 2));
  return { x, y, width: Math.max(2, Math.min(right, width) - x), height: Math.max(2, Math.min(bottom, height) - y) };
}

interface DetectionJob {
  range: FfmpegCut;
  info: MediaInfo;
  fps: number;
  size: number;
  color: ColorMode;
  crop: Extract<CropOptions, { mode: 'detect' }>;
  binaries: FfmpegBinaries | undefined;
}

/**
 * Two passes: small frames at `detectFps` for the detector, then full frames at `fps`,
 * each cropped along the smoothed track as it streams in, so only crops are held.
 */
async function decodeWithFaceDetection({
  range,
  info,
  fps,
  size,
  color,
  crop,
  binaries,
}: DetectionJob): Promise<{ frames: Uint8Array; face: FaceReport }> {
  const { width, height } = info.video!;
  const detectFps = crop.detectFps ?? FACE_DETECTION_DEFAULTS.detectFps;
  if (!(detectFps > 0)) throw new Error(`decodeVideo: detectFps must be > 0, got ${detectFps}`);
  const detectorName = crop.detector ?? FACE_DETECTION_DEFAULTS.detector;
  const detector = await loadFaceDetector(detectorName, { minScore: crop.minScore });
  const shrink = Math.min(1, (crop.detectMaxSide ?? FACE_DETECTION_DEFAULTS.detectMaxSide) / Math.max(width, height));
  const smallWidth = Math.max(2, 2 * Math.round((width * shrink) / 2));
  const smallHeight = Math.max(2, 2 * Math.round((height * shrink) / 2));
  const small = await runFfmpegCut(
    range,
    { video: `fps=${detectFps},scale=${smallWidth}:${smallHeight}`, output: rawOutput(range.seconds, detectFps) },
    {
      binaries,
    },
  );
  const smallBytes = smallWidth * smallHeight * 3;
  const samples = [];
  for (let i = 0; i * smallBytes + smallBytes <= small.stdout.length; i++) {
    const frame = small.stdout.subarray(i * smallBytes, (i + 1) * smallBytes);
    const faces = await detector.detect(frame, smallWidth, smallHeight);
    const toSource = (b: Box): Box => ({
      x: (b.x * width) / smallWidth,
      y: (b.y * height) / smallHeight,
      width: (b.width * width) / smallWidth,
      height: (b.height * height) / smallHeight,
    });
    samples.push({ time: i / detectFps, faces: faces.map((f) => ({ score: f.score, box: toSource(f.box) })) });
  }
  const track = buildFaceTrack(samples, { width, height }, crop);

  // Pass 2 decodes only the part of the frame the track ever visits.
  const area = visitedArea(track, Math.ceil(range.seconds * fps) + 1, fps, width, height);
  const channels = color === 'rgb' ? 3 : 1;
  const sourceBytes = area.width * area.height * 3;
  const pending = new Uint8Array(sourceBytes);
  let filled = 0;
  let out = new Uint8Array(0);
  let frameCount = 0;
  const boxes: Box[] = [];
  const outBytes = size * size * channels;
  const cut = `crop=${area.width}:${area.height}:${area.x}:${area.y}:exact=1`;
  await runFfmpegCut(
    range,
    { video: `fps=${fps},${cut}`, output: rawOutput(range.seconds, fps) },
    {
      binaries,
      onStdout: (chunk) => {
        for (let used = 0; used < chunk.length; ) {
          const take = Math.min(chunk.length - used, sourceBytes - filled);
          pending.set(chunk.subarray(used, used + take), filled);
          filled += take;
          used += take;
          if (filled < sourceBytes) break;
          if ((frameCount + 1) * outBytes > out.length) {
            const grown = new Uint8Array(Math.max(outBytes * 64, out.length * 2));
            grown.set(out);
            out = grown;
          }
          const box = track.boxAt(frameCount / fps);
          boxes.push(roundBox(box));
          const inArea = { ...box, x: box.x - area.x, y: box.y - area.y };
          cropResize(pending, area.width, area.height, inArea, size, color, out, frameCount * outBytes);
          frameCount++;
          filled = 0;
        }
      },
    },
  );
  if (filled !== 0) throw new Error(`decodeVideo: ffmpeg ended inside a frame (${filled} of ${sourceBytes} bytes)`);
  const { detectedSamples, samples: sampleCount, fallback } = track;
  return {
    frames: out.subarray(0, frameCount * outBytes),
    face: { detector: detectorName, detectedSamples, samples: sampleCount, fallback, boxes },
  };
}
