import * as tf from '@tensorflow/tfjs-core';
import type { FaceEncoderName } from '../config.js';
import { FACE_ENCODERS } from '../face-encoders.js';

/** The parts of `@vladmandic/face-api` this package calls. */
interface FaceApiNet {
  loadFromWeightMap(weights: tf.NamedTensorMap): void;
  getParamList(): { path: string; tensor: tf.Tensor }[];
  forwardInput(input: unknown): tf.Tensor;
}
interface FaceApi {
  tf: { version_core: string };
  NetInput: new (images: tf.Tensor3D[]) => unknown;
  FaceRecognitionNet: new () => FaceApiNet;
  FaceExpressionNet: new () => FaceApiNet & { faceFeatureExtractor: FaceApiNet };
}

/** A face-api net with its weights loaded, shared by every model that uses it. */
export interface LoadedFaceNet {
  /** RGB images [n, inputSize, inputSize, 3], values 0-255 -> features [n, features]. */
  run(images: tf.Tensor4D): tf.Tensor2D;
  /** Its weights by face-api's parameter path. Plain tensors: never variables, never trained. */
  weights: { path: string; tensor: tf.Tensor }[];
}

const FACE_API_INSTALL = 'npm install @vladmandic/face-api@^1.7.15 @tensorflow/tfjs@^4.22.0';

interface Runtime {
  api: FaceApi;
  modelDir: string;
  readFile: (file: string) => Uint8Array;
}

let runtime: Runtime | undefined;
const nets = new Map<FaceEncoderName, LoadedFaceNet>();

/**
 * Loads face-api's node-wasm build and its bundled weights synchronously (models are built
 * synchronously), on first use only: models without a face encoder never load face-api or
 * `@tensorflow/tfjs`. That build `require`s `@tensorflow/tfjs`, which must resolve to this
 * package's tfjs-core so that both run on one engine and backend.
 */
function loadRuntime(where: string): Runtime {
  if (runtime !== undefined) return runtime;
  if (typeof globalThis.process?.getBuiltinModule !== 'function') {
    throw new Error(`${where}: the face encoders run face-api's node-wasm build, which needs Node.js 20.16 or later`);
  }
  const { createRequire } = process.getBuiltinModule('node:module');
  const { readFileSync } = process.getBuiltinModule('node:fs');
  const path = process.getBuiltinModule('node:path');
  const require = createRequire(import.meta.url);
  let api: FaceApi;
  let modelDir: string;
  try {
    api = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
    modelDir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  } catch (error) {
    throw new Error(
      `${where}: could not load @vladmandic/face-api (${(error as Error).message.split('\n')[0]}). The face encoders need the optional peer dependencies: ${FACE_API_INSTALL}`,
    );
  }
  if (api.tf?.version_core !== tf.version_core) {
    throw new Error(
      `${where}: @vladmandic/face-api runs on tfjs-core ${api.tf?.version_core} but @mtl/models on ${tf.version_core}; install @tensorflow/tfjs@${tf.version_core} so that there is one tfjs-core`,
    );
  }
  runtime = { api, modelDir, readFile: (file) => readFileSync(path.join(modelDir, file)) };
  return runtime;
}

/** The weights that ship in face-api's `model/` folder: a tfjs manifest plus its .bin shards. */
function readWeights({ modelDir, readFile }: Runtime, weightsName: string, where: string): tf.NamedTensorMap {
  const manifestFile = `${weightsName}-weights_manifest.json`;
  try {
    const manifest = JSON.parse(new TextDecoder().decode(readFile(manifestFile))) as tf.io.WeightsManifestConfig;
    const shards = manifest.flatMap((group) => group.paths.map(readFile));
    const bytes = new Uint8Array(shards.reduce((total, shard) => total + shard.byteLength, 0));
    shards.reduce((offset, shard) => {
      bytes.set(shard, offset);
      return offset + shard.byteLength;
    }, 0);
    return tf.io.decodeWeights(
      bytes.buffer,
      manifest.flatMap((group) => group.weights),
    );
  } catch (error) {
    throw new Error(
      `${where}: cannot read face-api's weights '${manifestFile}' in ${modelDir}: ${(error as Error).message}`,
    );
  }
}

/** The face-api net behind an encoder, loaded once per process and kept for its lifetime. */
export function loadFaceNet(encoder: FaceEncoderName, where: string): LoadedFaceNet {
  const cached = nets.get(encoder);
  if (cached !== undefined) return cached;
  const loadedRuntime = loadRuntime(where);
  const { api } = loadedRuntime;
  const spec = FACE_ENCODERS[encoder];
  const weightMap = readWeights(loadedRuntime, spec.weightsName, where);
  let net: FaceApiNet;
  if (spec.faceApiNet === 'FaceRecognitionNet') {
    net = new api.FaceRecognitionNet();
    net.loadFromWeightMap(weightMap);
  } else {
    // FaceExpressionNet = a feature extractor + a 256 -> 7 linear classifier; only the
    // extractor runs (the classifier is linear in the features the LSTM reads anyway).
    const expressionNet = new api.FaceExpressionNet();
    expressionNet.loadFromWeightMap(weightMap);
    net = expressionNet.faceFeatureExtractor;
  }
  const weights = net.getParamList();
  // Shared across models and calls: out of reach of any tf.tidy the first model was built in.
  for (const { tensor } of weights) tf.keep(tensor);
  const loaded: LoadedFaceNet = {
    run: (images) => {
      const features = net.forwardInput(new api.NetInput(tf.unstack(images) as tf.Tensor3D[]));
      return tf.reshape(features, [images.shape[0], spec.features]);
    },
    weights,
  };
  nets.set(encoder, loaded);
  return loaded;
}
