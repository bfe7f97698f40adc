import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@mtl/backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createModel,
  FACE_ENCODERS,
  type FaceEncoderName,
  FrozenFaceEncoder,
  loadCheckpoint,
  type Modal,
  type MultitaskModel,
  modelCost,
  presetConfig,
  readCheckpoint,
  restoreWeights,
  saveCheckpoint,
  VariableStore,
} from '../src/index.js';
import { faceApiDir, loadSampleFaces, requireFaceApi, type SampleFaces, type TestFaceApi } from './face-crops.js';
import { relativeError, TASKS } from './helpers.js';

const ENCODERS: FaceEncoderName[] = ['face-recognition', 'face-expression'];
let api: TestFaceApi;
let faces: SampleFaces;

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  api = requireFaceApi();
  faces = await loadSampleFaces(api);
});
afterAll(() => faces.dispose());

function faceModel(encoder: FaceEncoderName, modal: Modal = 'multi', seed = 0): MultitaskModel {
  return createModel(presetConfig('compact', { modal, tasks: TASKS, seed, videoEncoder: encoder }));
}

/** Two clips of face crops at `size`: faces 0, 1, 2 and faces 3, 4 + one padded frame of `padding`. */
function faceClips(size: number, padding: 'zeros' | 'noise'): { video: tf.Tensor5D; lengths: number[] } {
  return tf.tidy(() => {
    const crops = faces.crops(size);
    const pad =
      padding === 'zeros' ? tf.zeros([1, size, size, 3]) : tf.randomUniform([1, size, size, 3], 0, 1, 'float32', 5);
    const frames = tf.concat([crops, pad]);
    return { video: tf.reshape(frames, [2, 3, size, size, 3]) as tf.Tensor5D, lengths: [3, 2] };
  });
}

/** Noise waveforms for `lengths` clips of `frames` frames, zero past each length. */
function waveforms(model: MultitaskModel, lengths: number[], frames: number): tf.Tensor2D {
  const samples = model.inputSpec.samplesPerFrame;
  const values = new Float32Array(lengths.length * frames * samples);
  lengths.forEach((length, clip) => {
    for (let i = 0; i < length * samples; i++) values[clip * frames * samples + i] = Math.sin(0.01 * i * (clip + 3));
  });
  return tf.tensor2d(values, [lengths.length, frames * samples]);
}

describe('frozen face encoders from @vladmandic/face-api', () => {
  it('load into the one tfjs-core of this package, on the wasm backend set by initBackend', () => {
    expect(faces.count).toBe(5);
    const model = faceModel('face-expression', 'video');
    try {
      expect(tf.getBackend()).toBe('wasm');
      expect(api.tf.engine()).toBe(tf.engine());
      expect(api.tf.Tensor).toBe(tf.Tensor);
      expect(api.tf.version_core).toBe(tf.version_core);
    } finally {
      model.dispose();
    }
  });

  for (const encoder of ENCODERS) {
    const { inputSize, features } = FACE_ENCODERS[encoder];
    it(`${encoder}: ${features} features per valid frame, exactly face-api's own on real face crops`, async () => {
      const net = new FrozenFaceEncoder(new VariableStore(`shapes_${features}`, 0).scope('video'), {
        encoder,
        frameSize: inputSize,
        channels: 3,
      });
      const { video, lengths } = faceClips(inputSize, 'noise');
      const perFrame = net.apply(video, lengths);
      expect(perFrame.shape).toEqual([2, 3, features]);
      const rows = tf.reshape(perFrame, [6, features]).arraySync() as number[][];
      expect(rows[5]!.every((v) => v === 0)).toBe(true); // the padded frame
      const ours = rows.slice(0, 5);

      const crops = faces.crops(inputSize);
      const pixels = tf.unstack(tf.mul(crops, 255)) as tf.Tensor3D[];
      if (encoder === 'face-recognition') {
        const net = api.nets.faceRecognitionNet;
        await net.loadFromDisk(join(faceApiDir, 'model'));
        const descriptors = await net.computeFaceDescriptor(pixels);
        for (const [i, descriptor] of descriptors.entries()) {
          expect(relativeError(ours[i]!, descriptor)).toBeLessThan(1e-5);
        }
      } else {
        // face-api's expression probabilities = softmax of its classifier over our 256 features.
        const net = api.nets.faceExpressionNet;
        await net.loadFromDisk(join(faceApiDir, 'model'));
        const predicted = await net.predictExpressions(pixels);
        const { weights, bias } = net.params.fc!;
        const fromOurs = tf.softmax(tf.add(tf.matMul(tf.tensor2d(ours), weights!), bias!)).arraySync() as number[][];
        for (const [i, probabilities] of predicted.entries()) {
          const theirs = api.FACE_EXPRESSION_LABELS.map((label) => probabilities[label]!);
          expect(relativeError(fromOurs[i]!, theirs)).toBeLessThan(1e-5);
        }
      }
      tf.dispose([video, perFrame, crops, ...pixels]);
    });
  }

  it('face-recognition resizes other frame sizes and tells people apart', () => {
    // 96x96 crops (resized to 150 inside), and the same faces framed 3% off: each shifted
    // crop's descriptor is nearest to its own face's.
    const net = new FrozenFaceEncoder(new VariableStore('identity', 0).scope('video'), {
      encoder: 'face-recognition',
      frameSize: 96,
      channels: 3,
    });
    const [centred, shifted] = tf.tidy(() => [
      net.encodeFrames(faces.crops(96)).arraySync(),
      net.encodeFrames(faces.crops(96, 0.03)).arraySync(),
    ]);
    const distance = (a: number[], b: number[]) => Math.hypot(...a.map((v, i) => v - b[i]!));
    shifted!.forEach((descriptor, face) => {
      const nearest = centred!.map((other, i) => ({ i, d: distance(descriptor, other) })).sort((a, b) => a.d - b.d)[0]!;
      expect(nearest.i).toBe(face);
    });
  });

  it('are frozen: plain tensors outside the variables and checkpoints, and no gradient reaches them', () => {
    const model = faceModel('face-expression');
    try {
      const frozen = model.frozenWeights();
      const spec = FACE_ENCODERS['face-expression'];
      expect(frozen.reduce((n, w) => n + w.tensor.size, 0)).toBe(spec.parameters);
      expect(modelCost(model.config).parameters.frozen).toBe(spec.parameters);
      expect(frozen[0]!.path).toBe('video/face-expression/dense0/conv0/filters');
      const variableIds = new Set(model.allVariables().map((entry) => entry.variable.id));
      expect(frozen.filter((w) => w.tensor instanceof tf.Variable || variableIds.has(w.tensor.id))).toEqual([]);
      const tree = model.variables();
      expect(Object.keys(tree.shared).filter((path) => path.startsWith('video/'))).toEqual([]);

      const { video, lengths } = faceClips(spec.inputSize, 'zeros');
      const audio = waveforms(model, lengths, 3);
      const loss = (v: tf.Tensor) =>
        tf.sum(model.forward({ audio, video: v as tf.Tensor5D, lengths }).emotion!) as tf.Scalar;
      // The encoder's ops never reach the tape, so asking for their weights' gradient fails...
      expect(() => tf.grads(() => loss(video))(frozen.slice(0, 3).map((w) => w.tensor))).toThrow(
        /Cannot compute gradient of y=f\(x\) with respect to x/,
      );
      // ...nothing flows back into the frames, while the trainable variables get gradients.
      const toFrames = tf.grad(loss)(video);
      expect(tf.max(tf.abs(toFrames)).dataSync()[0]).toBe(0);
      const { value, grads } = tf.variableGrads(() => loss(video), model.trainableVariables());
      expect(tf.max(tf.abs(grads[`${model.name}/fusion/lstm/layer0/inputKernel`]!)).dataSync()[0]).toBeGreaterThan(0);
      tf.dispose([video, audio, toFrames, value, ...Object.values(grads)]);
    } finally {
      model.dispose();
    }
  });

  it('train the fusion net on top: Adam lowers the loss and no tensor leaks across steps', () => {
    const model = faceModel('face-expression');
    const { video, lengths } = faceClips(112, 'zeros');
    const audio = waveforms(model, lengths, 3);
    const labels = {
      emotion: tf.oneHot(tf.tensor1d([1, 3], 'int32'), 4),
      gender: tf.oneHot(tf.tensor1d([0, 1], 'int32'), 2),
    };
    const optimizer = tf.train.adam(3e-3);
    const step = (seed: number) => {
      const value = optimizer.minimize(
        () => {
          const logits = model.forward({ audio, video, lengths }, { training: true, seed });
          return tf.add(
            tf.losses.softmaxCrossEntropy(labels.emotion, logits.emotion!),
            tf.losses.softmaxCrossEntropy(labels.gender, logits.gender!),
          ) as tf.Scalar;
        },
        true,
        model.trainableVariables(),
      )!;
      const result = value.dataSync()[0]!;
      value.dispose();
      return result;
    };
    try {
      const first = step(0); // creates Adam's slots
      const tensors = tf.memory().numTensors;
      let last = first;
      for (let i = 1; i <= 5; i++) {
        last = step(i);
        expect(tf.memory().numTensors).toBe(tensors);
      }
      expect(last).toBeLessThan(first);
    } finally {
      optimizer.dispose();
      tf.dispose([video, audio, labels.emotion, labels.gender]);
      model.dispose();
    }
  });

  it('padding never changes a clip: alone or padded with noise in a longer batch, the same logits', () => {
    const model = faceModel('face-recognition', 'video', 3);
    const { video, lengths } = faceClips(150, 'noise');
    try {
      const batch = model.forward({ video, lengths });
      lengths.forEach((length, clip) => {
        const alone = model.forward({
          video: tf.slice(video, [clip, 0, 0, 0, 0], [1, length, -1, -1, -1]),
          lengths: [length],
        });
        for (const task of ['emotion', 'gender']) {
          const row = tf.slice(batch[task]!, [clip, 0], [1, -1]);
          expect(relativeError(row.dataSync(), alone[task]!.dataSync())).toBeLessThan(1e-5);
        }
      });
    } finally {
      video.dispose();
      model.dispose();
    }
  });

  it('checkpoints record the encoder, hold none of its weights, and reload to identical outputs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mtl-models-face-'));
    const model = faceModel('face-expression', 'multi', 7);
    const { video, lengths } = faceClips(112, 'zeros');
    const audio = waveforms(model, lengths, 3);
    const outputs = (m: MultitaskModel) => Array.from(m.forward({ audio, video, lengths }).emotion!.dataSync());
    try {
      await saveCheckpoint(model, dir);
      const modelJson = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
      expect(modelJson.modelTopology.video).toEqual({ encoder: 'face-expression', frameSize: 112, channels: 3 });
      const saved: string[] = modelJson.weightsManifest[0].weights.map((w: { name: string }) => w.name);
      expect(saved).toEqual(model.allVariables().map((entry) => entry.path));
      expect(saved.filter((name) => name.startsWith('video/'))).toEqual([]);

      const loaded = await loadCheckpoint(dir);
      expect(loaded.config.video.encoder).toBe('face-expression');
      expect(outputs(loaded)).toEqual(outputs(model));
      loaded.dispose();

      const other = faceModel('face-recognition', 'multi', 7);
      const artifacts = await readCheckpoint(dir);
      expect(() => restoreWeights(other, artifacts)).toThrow(
        "restoreWeights: the checkpoint was trained on video.encoder 'face-expression' but this model uses 'face-recognition'",
      );
      other.dispose();
    } finally {
      tf.dispose([video, audio]);
      model.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });

  for (const encoder of ENCODERS) {
    it(`modelCost: ${encoder}'s FLOPs per frame are those of the convs and matmuls it runs`, async () => {
      const config = presetConfig('compact', { modal: 'multi', tasks: TASKS, videoEncoder: encoder });
      const cost = modelCost(config);
      const spec = FACE_ENCODERS[encoder];
      expect(cost.parameters.video).toBe(0);
      expect(cost.parameters.frozen).toBe(spec.parameters);
      expect(cost.parameters.total).toBe(cost.parameters.shared + cost.parameters.heads);
      expect(cost.flopsPerSecond.video).toBe(cost.videoFlopsPerFrame * config.fps);

      // Count the multiply-adds of the kernels the encoder really runs on 2 frames.
      const net = new FrozenFaceEncoder(new VariableStore(`cost_${spec.features}`, 0).scope('video'), {
        encoder,
        frameSize: spec.inputSize,
        channels: 3,
      });
      const frames = tf.randomUniform([2, spec.inputSize, spec.inputSize, 3]) as tf.Tensor4D;
      const profile = await tf.profile(() => net.encodeFrames(frames));
      let macs = 0;
      for (const kernel of profile.kernels) {
        const [, filter] = kernel.inputShapes as number[][];
        const output = kernel.outputShapes[0] as number[];
        if (['Conv2D', 'FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2D'].includes(kernel.name)) {
          // Each of n x h x w output positions: kh x kw x in x (out, or the depthwise multiplier).
          macs += output[0]! * output[1]! * output[2]! * filter!.reduce((a, b) => a * b, 1);
        } else if (['BatchMatMul', '_FusedMatMul'].includes(kernel.name)) {
          macs += (kernel.inputShapes[0] as number[]).reduce((a, b) => a * b, 1) * filter!.at(-1)!;
        }
      }
      expect(macs / 2).toBe(spec.macsPerFrame);
      expect(cost.videoFlopsPerFrame).toBe(2 * spec.macsPerFrame);
      frames.dispose();
    });
  }
});
