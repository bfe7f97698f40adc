import type { FfmpegBinaries } from '../ffmpeg/ffmpeg-binary.js';
import type { Box, ColorMode } from './crop-resize.js';
import type { FaceDetectorName } from './face-detector.js';

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

/** One cut of a file for `decodeVideoCuts`: its time range and, in `fixed` mode, its box. */
export interface VideoCut {
  start?: number;
  end?: number;
  box?: Box;
}

export interface Settings {
  fps: number;
  size: number;
  color: ColorMode;
  crop: CropOptions;
  maxSeconds: number;
}

export function resolveSettings(options: DecodeVideoOptions): Settings {
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
