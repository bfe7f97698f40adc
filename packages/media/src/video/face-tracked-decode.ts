import type { FfmpegBinaries } from '../ffmpeg/ffmpeg-binary.js';
import { type FfmpegCut, runFfmpegCut } from '../ffmpeg/ffmpeg-cut.js';
import type { MediaInfo } from '../ffmpeg/probe-media.js';
import { type Box, type ColorMode, cropResize } from './crop-resize.js';
import { FACE_DETECTION_DEFAULTS, loadFaceDetector } from './face-detector.js';
import { buildFaceTrack, type FaceTrack } from './face-track.js';
import type { CropOptions, FaceReport } from './options.js';
import { rawOutput } from './raw-frames.js';

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
export async function decodeWithFaceDetection({
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
