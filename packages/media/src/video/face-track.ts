import type { Box } from './crop-resize.js';
import { type DetectedFace, FACE_DETECTION_DEFAULTS } from './face-detector.js';

export interface FaceTrackOptions {
  /** Added on every side of the face, as a fraction of its size. Default 0.25. */
  margin?: number;
  /** Width of the moving average over the detections, in seconds. Default 0.5. */
  smoothingSeconds?: number;
  /** Only faces centred in this region count; it is also the fallback box. */
  region?: Box;
}

export interface FaceTrack {
  /** The square crop box at time `t` seconds from the clip start. */
  boxAt(t: number): Box;
  /** Detection samples that found a face. */
  detectedSamples: number;
  samples: number;
  /** True when no sample found a face and the fallback box is used throughout. */
  fallback: boolean;
}

interface Square {
  cx: number;
  cy: number;
  side: number;
}

const centre = (box: Box) => ({ x: box.x + box.width / 2, y: box.y + box.height / 2 });
const inside = (point: { x: number; y: number }, box: Box) =>
  point.x >= box.x && point.x <= box.x + box.width && point.y >= box.y && point.y <= box.y + box.height;

/**
 * Turns per-sample detections into a steady crop: at each sample the face nearest the one
 * tracked so far (the largest, at first), as a square with a margin; centre and size
 * averaged over `smoothingSeconds`, and interpolated linearly between samples. With no face
 * anywhere the track holds the fallback box: the region when one is given, else the
 * largest centred square of the frame.
 */
export function buildFaceTrack(
  samples: { time: number; faces: DetectedFace[] }[],
  frame: { width: number; height: number },
  options: FaceTrackOptions = {},
): FaceTrack {
  const margin = options.margin ?? FACE_DETECTION_DEFAULTS.margin;
  const smoothing = options.smoothingSeconds ?? FACE_DETECTION_DEFAULTS.smoothingSeconds;
  if (!(margin >= 0)) throw new Error(`buildFaceTrack: margin must be >= 0, got ${margin}`);
  if (!(smoothing >= 0)) throw new Error(`buildFaceTrack: smoothingSeconds must be >= 0, got ${smoothing}`);
  const points: (Square & { time: number })[] = [];
  let previous: { x: number; y: number } | undefined;
  for (const { time, faces } of samples) {
    const candidates = faces.filter((f) => options.region === undefined || inside(centre(f.box), options.region));
    if (candidates.length === 0) continue;
    const score = (f: DetectedFace) => {
      const c = centre(f.box);
      return previous ? -Math.hypot(c.x - previous.x, c.y - previous.y) : f.box.width * f.box.height;
    };
    const chosen = candidates.reduce((best, f) => (score(f) > score(best) ? f : best));
    previous = centre(chosen.box);
    const side = Math.max(chosen.box.width, chosen.box.height) * (1 + 2 * margin);
    points.push({ time, cx: previous.x, cy: previous.y, side });
  }
  const report = { detectedSamples: points.length, samples: samples.length, fallback: points.length === 0 };
  if (points.length === 0) {
    const side = Math.min(frame.width, frame.height);
    const box = options.region ?? {
      x: (frame.width - side) / 2,
      y: (frame.height - side) / 2,
      width: side,
      height: side,
    };
    return { ...report, boxAt: () => box };
  }
  const smoothed = points.map((p) => {
    const near = points.filter((q) => Math.abs(q.time - p.time) <= smoothing / 2);
    const mean = (key: keyof Square) => near.reduce((s, q) => s + q[key], 0) / near.length;
    return { time: p.time, cx: mean('cx'), cy: mean('cy'), side: mean('side') };
  });
  const toBox = (s: Square): Box => ({ x: s.cx - s.side / 2, y: s.cy - s.side / 2, width: s.side, height: s.side });
  return {
    ...report,
    boxAt(t) {
      const after = smoothed.findIndex((p) => p.time >= t);
      if (after === 0) return toBox(smoothed[0]!);
      if (after === -1) return toBox(smoothed[smoothed.length - 1]!);
      const a = smoothed[after - 1]!;
      const b = smoothed[after]!;
      const w = (t - a.time) / (b.time - a.time);
      const lerp = (key: keyof Square) => a[key] + w * (b[key] - a[key]);
      return toBox({ cx: lerp('cx'), cy: lerp('cy'), side: lerp('side') });
    },
  };
}
