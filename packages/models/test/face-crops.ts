// Real face crops for the face-encoder tests: a group photo that ships with face-api
// (demo/sample5.jpg, five people), its faces found by face-api's TinyFaceDetector.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import jpeg from 'jpeg-js';

interface FaceApiNet {
  loadFromDisk(dir: string): Promise<void>;
  params: Record<string, Record<string, tf.Tensor>>;
  computeFaceDescriptor(images: tf.Tensor3D[]): Promise<Float32Array[]>;
  predictExpressions(images: tf.Tensor3D[]): Promise<Record<string, number>[]>;
}

/** The face-api module our models load (the same instance: Node caches it by path). */
export interface TestFaceApi {
  tf: typeof tf;
  nets: { tinyFaceDetector: FaceApiNet; faceRecognitionNet: FaceApiNet; faceExpressionNet: FaceApiNet };
  FACE_EXPRESSION_LABELS: string[];
  TinyFaceDetectorOptions: new (options: { inputSize: number; scoreThreshold: number }) => unknown;
  detectAllFaces(
    image: tf.Tensor3D,
    options: unknown,
  ): Promise<{ box: { x: number; y: number; width: number; height: number } }[]>;
}

const requireHere = createRequire(import.meta.url);
export const faceApiDir = dirname(requireHere.resolve('@vladmandic/face-api/package.json'));

export function requireFaceApi(): TestFaceApi {
  return requireHere('@vladmandic/face-api/dist/face-api.node-wasm.js') as TestFaceApi;
}

export interface SampleFaces {
  count: number;
  /**
   * Square crops [count, size, size, 3], values in [0, 1], around each face (1.1 x its box),
   * moved by `shift` x the crop's side right and down: the same face, framed differently.
   */
  crops(size: number, shift?: number): tf.Tensor4D;
  dispose(): void;
}

export async function loadSampleFaces(api: TestFaceApi): Promise<SampleFaces> {
  const image = jpeg.decode(readFileSync(join(faceApiDir, 'demo', 'sample5.jpg')), {
    useTArray: true,
    formatAsRGBA: false,
  });
  const pixels = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
  await api.nets.tinyFaceDetector.loadFromDisk(join(faceApiDir, 'model'));
  const faces = await api.detectAllFaces(
    pixels,
    new api.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 }),
  );
  const photo = tf.tidy(() => tf.div(tf.expandDims(tf.cast(pixels, 'float32')), 255) as tf.Tensor4D);
  pixels.dispose();
  return {
    count: faces.length,
    crops: (size, shift = 0) => {
      const boxes = faces.map(({ box }) => {
        const side = 1.1 * Math.max(box.width, box.height);
        const x = box.x + box.width / 2 + shift * side - side / 2;
        const y = box.y + box.height / 2 + shift * side - side / 2;
        return [y / image.height, x / image.width, (y + side) / image.height, (x + side) / image.width];
      });
      return tf.image.cropAndResize(
        photo,
        boxes,
        boxes.map(() => 0),
        [size, size],
      );
    },
    dispose: () => photo.dispose(),
  };
}
