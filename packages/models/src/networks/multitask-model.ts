import * as tf from '@tensorflow/tfjs-core';
import { configSamplesPerFrame, type ModelConfig, usesAudio, usesVideo, validateConfig } from '../config.js';
import { type ForwardContext, INFERENCE } from '../forward-context.js';
import { Dense } from '../layers/dense.js';
import { Dropout } from '../layers/dropout.js';
import { LSTM } from '../layers/lstm.js';
import { type Lengths, readLengths } from '../lengths.js';
import { type VariableEntry, VariableStore } from '../variable-store.js';
import { AudioNet } from './audio-net.js';
import { FrozenFaceEncoder, type FrozenWeight } from './frozen-face-encoder.js';
import { VideoNet } from './video-net.js';

/** A padded batch. Inputs the model's modal does not use are ignored. */
export interface ModelInputs {
  /** Waveforms [batch, frames * samplesPerFrame], zero-padded past each clip. */
  audio?: tf.Tensor2D;
  /** Frames [batch, frames, frameSize, frameSize, channels]. */
  video?: tf.Tensor5D;
  /** Valid frames per clip. */
  lengths: Lengths;
}

/** Logits [batch, classes] per task name. */
export type TaskLogits = Record<string, tf.Tensor2D>;

/** Trainable variables by path, split the way gradient-based task weighting needs. */
export interface VariableTree {
  /** Every trainable variable that more than one task's loss depends on. */
  shared: Record<string, tf.Variable>;
  /**
   * The part of `shared` in the last layer before the heads (the top LSTM layer): where
   * GradNorm measures per-task gradient norms.
   */
  lastSharedLayer: Record<string, tf.Variable>;
  /** Per task: the variables only that task's loss depends on (its head). */
  heads: Record<string, Record<string, tf.Variable>>;
}

/** What a data pipeline must feed this model. */
export interface InputSpec {
  audio: boolean;
  video: boolean;
  fps: number;
  sampleRate: number;
  samplesPerFrame: number;
  frameSize: number;
  channels: number;
}

/** What a model of this config must be fed, without building it (no tensors, no backend needed). */
export function inputSpecOf(config: ModelConfig): InputSpec {
  const { modal, fps, audio, video } = validateConfig(config);
  return {
    audio: usesAudio(modal),
    video: usesVideo(modal),
    fps,
    sampleRate: audio.sampleRate,
    samplesPerFrame: configSamplesPerFrame(config),
    frameSize: video.frameSize,
    channels: video.channels,
  };
}

export interface CreateModelOptions {
  /** Prefix of the tfjs variable names; two live models need different names. Default: unique. */
  name?: string;
}

let modelCount = 0;

/**
 * The fusion net: AudioNet and/or the video branch (VideoNet, or a FrozenFaceEncoder) per
 * frame, concatenated, a stacked LSTM over the frames, dropout on each clip's last valid
 * frame, and one linear head per task.
 * Variable paths: `audio/...`, `video/...`, `fusion/lstm/...` (shared) and
 * `heads/<task>/dense/...`.
 */
export class MultitaskModel {
  readonly config: ModelConfig;
  readonly name: string;
  readonly inputSpec: InputSpec;
  private readonly store: VariableStore;
  private readonly audioNet: AudioNet | undefined;
  private readonly videoNet: VideoNet | FrozenFaceEncoder | undefined;
  private readonly lstm: LSTM;
  private readonly dropout: Dropout;
  private readonly heads: Map<string, Dense>;

  constructor(config: ModelConfig, options: CreateModelOptions = {}) {
    this.config = structuredClone(validateConfig(config));
    this.name = options.name ?? `model${modelCount++}`;
    this.store = new VariableStore(this.name, this.config.seed);
    const root = this.store.scope('');
    const { modal, audio, video, fusion } = this.config;
    const frameSamples = configSamplesPerFrame(this.config);
    try {
      this.audioNet = usesAudio(modal) ? new AudioNet(root.child('audio'), audio, frameSamples) : undefined;
      if (usesVideo(modal)) {
        this.videoNet =
          video.encoder === 'cnn'
            ? new VideoNet(root.child('video'), video)
            : new FrozenFaceEncoder(root.child('video'), video);
      }
      const features = (this.audioNet?.featuresPerFrame ?? 0) + (this.videoNet?.featuresPerFrame ?? 0);
      const fusionScope = root.child('fusion');
      this.lstm = new LSTM(fusionScope.child('lstm'), features, { units: fusion.lstmUnits, layers: fusion.lstmLayers });
      this.dropout = new Dropout(fusionScope.child('dropout'), fusion.dropout);
      this.heads = new Map(
        this.config.tasks.map((task) => [
          task.name,
          new Dense(root.child('heads').child(task.name).child('dense'), fusion.lstmUnits, { units: task.classes }),
        ]),
      );
    } catch (error) {
      this.store.dispose();
      throw error;
    }
    this.inputSpec = inputSpecOf(this.config);
  }

  /**
   * Logits per task. Pass `{ training: true }` for dropout and batch statistics, and a
   * per-step `seed` so that every forward pass of one step (per-task gradients, a
   * strategy's second look at the losses) drops the same units.
   */
  forward(inputs: ModelInputs, ctx: ForwardContext = INFERENCE): TaskLogits {
    const { frames, batch } = this.checkInputs(inputs);
    const lengths = readLengths(inputs.lengths, batch, frames, 'MultitaskModel.forward');
    return tf.tidy(() => {
      const perFrame: tf.Tensor3D[] = [];
      if (this.audioNet) perFrame.push(this.audioNet.apply(inputs.audio!, lengths));
      if (this.videoNet) perFrame.push(this.videoNet.apply(inputs.video!, lengths, ctx));
      const fused = perFrame.length === 1 ? perFrame[0]! : (tf.concat(perFrame, 2) as tf.Tensor3D);
      const last = this.dropout.apply(this.lstm.apply(fused, lengths).last, ctx);
      const logits: TaskLogits = {};
      for (const [task, head] of this.heads) logits[task] = head.apply(last) as tf.Tensor2D;
      return logits;
    });
  }

  /** Trainable variables keyed by path: shared (and its last layer) and per-task heads. */
  variables(): VariableTree {
    const tree: VariableTree = { shared: {}, lastSharedLayer: {}, heads: {} };
    for (const task of this.config.tasks) tree.heads[task.name] = {};
    const topLayer = this.lstm.layers[this.lstm.layers.length - 1]!;
    const lastShared = new Set<tf.Variable>([topLayer.inputKernel, topLayer.recurrentKernel, topLayer.bias]);
    for (const { path, variable, trainable } of this.store.entries()) {
      if (!trainable) continue;
      const [top, task] = path.split('/');
      if (top === 'heads') {
        tree.heads[task!]![path] = variable;
        continue;
      }
      tree.shared[path] = variable;
      if (lastShared.has(variable)) tree.lastSharedLayer[path] = variable;
    }
    return tree;
  }

  /** Every trainable variable, for `tf.variableGrads` or an optimiser's var list. */
  trainableVariables(): tf.Variable[] {
    return this.store.entries().flatMap((entry) => (entry.trainable ? [entry.variable] : []));
  }

  /** Every variable, trained or not (batch-norm averages), in a stable order: what a checkpoint holds. */
  allVariables(): VariableEntry[] {
    return this.store.entries();
  }

  /**
   * The frozen face encoder's weights (empty for the `cnn` encoder): used, never trained,
   * never saved. face-api's weights, loaded once per process and shared by every model
   * with that encoder, so `dispose()` leaves them.
   */
  frozenWeights(): FrozenWeight[] {
    return this.videoNet instanceof FrozenFaceEncoder ? this.videoNet.frozenWeights() : [];
  }

  dispose(): void {
    this.store.dispose();
  }

  private checkInputs(inputs: ModelInputs): { frames: number; batch: number } {
    const where = `MultitaskModel.forward (modal '${this.config.modal}')`;
    const spec = this.inputSpec;
    let frames: number | undefined;
    let batch: number | undefined;
    if (spec.audio) {
      const audio = inputs.audio;
      if (!(audio instanceof tf.Tensor)) throw new Error(`${where}: inputs.audio is required`);
      if (audio.rank !== 2 || audio.shape[1]! % spec.samplesPerFrame !== 0 || audio.shape[1] === 0) {
        throw new Error(
          `${where}: inputs.audio must be [batch, frames * ${spec.samplesPerFrame}] (${spec.samplesPerFrame} samples per frame), got [${audio.shape.join(', ')}]`,
        );
      }
      batch = audio.shape[0]!;
      frames = audio.shape[1]! / spec.samplesPerFrame;
    }
    if (spec.video) {
      const video = inputs.video;
      if (!(video instanceof tf.Tensor)) throw new Error(`${where}: inputs.video is required`);
      const [, videoFrames, height, width, channels] = video.shape;
      if (video.rank !== 5 || height !== spec.frameSize || width !== spec.frameSize || channels !== spec.channels) {
        throw new Error(
          `${where}: inputs.video must be [batch, frames, ${spec.frameSize}, ${spec.frameSize}, ${spec.channels}], got [${video.shape.join(', ')}]`,
        );
      }
      if (batch !== undefined && (video.shape[0] !== batch || videoFrames !== frames)) {
        throw new Error(
          `${where}: inputs.video has ${video.shape[0]} clips x ${videoFrames} frames but inputs.audio has ${batch} clips x ${frames} frames`,
        );
      }
      batch = video.shape[0]!;
      frames = videoFrames!;
    }
    return { frames: frames!, batch: batch! };
  }
}

export function createModel(config: ModelConfig, options: CreateModelOptions = {}): MultitaskModel {
  return new MultitaskModel(config, options);
}
