import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as TF from '@tensorflow/tfjs-core';
import type { Box } from './crop-resize.js';

/** `tiny`: TinyFaceDetector (fast); `ssd`: SSD MobileNet v1 (slower, finds smaller and turned faces). */
export type FaceDetectorName = 'tiny' | 'ssd';

/**
 * Every default of face detection, in one place: `preprocess` fills a `detect` crop from
 * it before computing cache keys (so a changed default never reuses old clips), and the
 * functions that detect and track use the same values when called on their own.
 */
export const FACE_DETECTION_DEFAULTS = {
  detector: 'tiny' as FaceDetectorName,
  detectFps: 5,
  minScore: 0.5,
  margin: 0.25,
  smoothingSeconds: 0.5,
  detectMaxSide: 640,
};

export interface DetectedFace {
  box: Box;
  score: number;
}

export interface FaceDetector {
  name: FaceDetectorName;
  /** Faces in an RGB frame (`width` x `height`, 3 bytes per pixel), best first. */
  detect(frame: Uint8Array, width: number, height: number): Promise<DetectedFace[]>;
}

export interface FaceDetectorOptions {
  /** Lowest detection score kept. Default 0.5. */
  minScore?: number;
  /** TinyFaceDetector input size, a multiple of 32. Default 320. */
  inputSize?: number;
}

interface FaceApiDetection {
  score: number;
  box: { x: number; y: number; width: number; height: number };
}
interface FaceApiNet {
  isLoaded: boolean;
  loadFromDisk(dir: string): Promise<void>;
}
interface FaceApi {
  nets: { tinyFaceDetector: FaceApiNet; ssdMobilenetv1: FaceApiNet };
  TinyFaceDetectorOptions: new (options: { inputSize: number; scoreThreshold: number }) => unknown;
  SsdMobilenetv1Options: new (options: { minConfidence: number }) => unknown;
  detectAllFaces(input: TF.Tensor3D, options: unknown): Promise<FaceApiDetection[]>;
}

const requireFromHere = createRequire(import.meta.url);
let faceApi: Promise<{ api: FaceApi; tf: typeof TF }> | undefined;

/**
 * face-api and tfjs are loaded on first use only (they take a while, and most workers never
 * detect faces). face-api comes from its node-wasm build, which shares our tfjs-core; a
 * backend is prepared only if none is active yet.
 */
function loadFaceApi(): Promise<{ api: FaceApi; tf: typeof TF }> {
  faceApi ??= (async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const api = requireFromHere('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
    if (!tf.engine().backendName) {
      const { initBackend } = await import('@mtl/backend');
      await initBackend({ backend: 'auto' });
    }
    return { api, tf };
  })();
  return faceApi;
}

/** The model weights ship inside the face-api package. */
const modelDir = () => join(dirname(requireFromHere.resolve('@vladmandic/face-api/package.json')), 'model');

/** Loads a face detector (once per process per model). */
export async function loadFaceDetector(
  name: FaceDetectorName = FACE_DETECTION_DEFAULTS.detector,
  options: FaceDetectorOptions = {},
): Promise<FaceDetector> {
  if (name !== 'tiny' && name !== 'ssd')
    throw new Error(`loadFaceDetector: unknown detector '${name}'; use tiny or ssd`);
  const minScore = options.minScore ?? FACE_DETECTION_DEFAULTS.minScore;
  const inputSize = options.inputSize ?? 320;
  if (!(minScore >= 0 && minScore < 1))
    throw new Error(`loadFaceDetector: minScore must be in [0, 1), got ${minScore}`);
  if (!(Number.isInteger(inputSize / 32) && inputSize > 0)) {
    throw new Error(`loadFaceDetector: inputSize must be a positive multiple of 32, got ${inputSize}`);
  }
  const { api, tf } = await loadFaceApi();
  const net = name === 'tiny' ? api.nets.tinyFaceDetector : api.nets.ssdMobilenetv1;
  if (!net.isLoaded) await net.loadFromDisk(modelDir());
  const detectorOptions =
    name === 'tiny'
      ? new api.TinyFaceDetectorOptions({ inputSize, scoreThreshold: minScore })
      : new api.SsdMobilenetv1Options({ minConfidence: minScore });
  return {
    name,
    async detect(frame, width, height) {
      if (frame.length !== width * height * 3) {
        throw new Error(
          `FaceDetector.detect: frame holds ${frame.length} bytes; ${width}x${height} RGB needs ${width * height * 3}`,
        );
      }
      const input = tf.tensor3d(frame, [height, width, 3], 'int32');
      try {
        const found = await api.detectAllFaces(input, detectorOptions);
        return found
          .map(({ score, box }) => ({ score, box: { x: box.x, y: box.y, width: box.width, height: box.height } }))
          .sort((a, b) => b.score - a.score);
      } finally {
        input.dispose();
      }
    },
  };
}
