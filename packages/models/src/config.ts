import { samplesPerFrame } from '@mtl/common';
import type { Activation } from './layers/activation.js';
import type { ResidualBlockKind } from './layers/residual-block.js';

/** Which branches feed the fusion LSTM. */
export type Modal = 'audio' | 'video' | 'multi';

/** One classification task; names and class counts come from the dataset. */
export interface TaskSpec {
  name: string;
  classes: number;
}

/** One waveform conv: `filters` channels, `kernel` taps, then a max pool of `pool` steps. */
export interface AudioConvSpec {
  filters: number;
  kernel: number;
  stride: number;
  pool: number;
}

export interface AudioNetConfig {
  /** Samples per second of the waveform the model reads. */
  sampleRate: number;
  /** Waveform convs, each followed by `activation` and its max pool ('same'-size padding throughout). */
  layers: AudioConvSpec[];
  /** Max over groups of this many adjacent channels after the last conv. */
  channelPool: number;
  /** After each waveform conv: `relu` (default) or `linear`, none (the reference code). */
  activation?: Activation;
  /**
   * Where an odd total of 'same' padding puts the extra sample: `tf` (default) after,
   * `torch` before, as the reference code pads kernel 80 by 40/39 and kernel 4000 by 2000/1999.
   */
  padding?: AudioPadding;
}

export type AudioPadding = 'tf' | 'torch';

/** Padding of the ResNet's stride-2 convs and stem pool: `same` (TensorFlow; the extra row after) or `symmetric` (PyTorch: k/2 on every side). */
export type StridePadding = 'same' | 'symmetric';

/** Batch norm's running variance: the batch's `biased` variance, or `unbiased` (n / (n - 1), PyTorch). */
export type RunningVariance = 'biased' | 'unbiased';

export interface ResNetStageSpec {
  blocks: number;
  filters: number;
  /** Stride of the stage's first block. */
  stride: number;
}

/**
 * What turns each frame into features: `cnn`, the config's ResNet, trained with the model;
 * or a frozen pretrained face net that ships inside `@vladmandic/face-api`:
 * `face-recognition` (FaceRecognitionNet's 128-d face descriptor) or `face-expression`
 * (the 256 features FaceExpressionNet classifies into 7 expressions).
 */
export type VideoEncoderName = 'cnn' | 'face-recognition' | 'face-expression';
export type FaceEncoderName = Exclude<VideoEncoderName, 'cnn'>;
export const VIDEO_ENCODERS: readonly VideoEncoderName[] = ['cnn', 'face-recognition', 'face-expression'];

interface FramesConfig {
  /** Frames are square RGB (channels 3) or grey (channels 1) images of frameSize pixels, values in [0, 1]. */
  frameSize: number;
  channels: number;
}

/** A ResNet trained from scratch with the rest of the model. */
export interface CnnVideoConfig extends FramesConfig {
  encoder: 'cnn';
  /** Conv + BN + ReLU, then an optional 3x3 stride-2 max pool. */
  stem: { filters: number; kernel: number; stride: number; maxPool: boolean };
  block: ResidualBlockKind;
  stages: ResNetStageSpec[];
  /** Default `same`. */
  stridePadding?: StridePadding;
  /** Default `biased`. */
  runningVariance?: RunningVariance;
  /**
   * At most this many frames go through the ResNet at once. In training each chunk's
   * activations are recomputed in the backward pass, so memory holds one chunk's instead
   * of the whole batch's (a 6 s clip of the paper preset needs this on wasm), and batch
   * norm's statistics are each chunk's ("ghost" batch norm). Inference gives the same
   * features either way. Default: every frame at once, as the reference code.
   */
  framesPerChunk?: number;
}

/** A frozen face-api net: no trainable video variables; frames are resized to the net's input. */
export interface FaceVideoConfig extends FramesConfig {
  encoder: FaceEncoderName;
}

export type VideoNetConfig = CnnVideoConfig | FaceVideoConfig;

export interface FusionConfig {
  lstmUnits: number;
  lstmLayers: number;
  /** Dropout on the last valid frame's LSTM output, before the heads. */
  dropout: number;
}

/** Everything that defines a model's structure and initial weights. Plain JSON. */
export interface ModelConfig {
  /** For logs and checkpoints: the preset this config came from, or any label. */
  preset: string;
  modal: Modal;
  tasks: TaskSpec[];
  /** Frames per second: one video frame and one audio chunk per step. */
  fps: number;
  audio: AudioNetConfig;
  video: VideoNetConfig;
  fusion: FusionConfig;
  /** Seeds the initial weights. */
  seed: number;
}

export function usesAudio(modal: Modal): boolean {
  return modal !== 'video';
}

export function usesVideo(modal: Modal): boolean {
  return modal !== 'audio';
}

const TASK_NAME = /^[A-Za-z0-9_.-]+$/;

function fail(path: string, problem: string): never {
  throw new Error(`ModelConfig.${path}: ${problem}`);
}

function positiveInteger(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    fail(path, `must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** An optional choice: absent, or one of `allowed`. */
function oneOf(value: unknown, allowed: readonly string[], path: string): void {
  if (value !== undefined && !allowed.includes(value as string)) {
    fail(path, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`);
  }
}

function list<T>(value: T[] | undefined, path: string, allowEmpty: boolean): T[] {
  if (!Array.isArray(value)) fail(path, `must be an array, got ${JSON.stringify(value)}`);
  if (!allowEmpty && value.length === 0) fail(path, 'must not be empty');
  return value;
}

/** Waveform samples per frame of a config: sampleRate / fps, which must be whole. */
export function configSamplesPerFrame(config: ModelConfig): number {
  try {
    return samplesPerFrame(config.audio.sampleRate, config.fps);
  } catch (error) {
    fail('audio.sampleRate', (error as Error).message);
  }
}

/**
 * Checks every field and the arithmetic that ties them together (downsampling that
 * divides a frame, channel pools that divide channels); throws naming the first bad
 * field. Returns the config for chaining.
 */
export function validateConfig(config: ModelConfig): ModelConfig {
  if (config === null || typeof config !== 'object') fail('', 'must be an object');
  if (!['audio', 'video', 'multi'].includes(config.modal)) {
    fail('modal', `must be 'audio', 'video' or 'multi', got ${JSON.stringify(config.modal)}`);
  }
  const names = new Set<string>();
  list(config.tasks, 'tasks', false).forEach((task, i) => {
    if (typeof task?.name !== 'string' || !TASK_NAME.test(task.name)) {
      fail(`tasks[${i}].name`, `must match ${TASK_NAME}, got ${JSON.stringify(task?.name)}`);
    }
    if (names.has(task.name)) fail(`tasks[${i}].name`, `'${task.name}' appears twice`);
    names.add(task.name);
    if (positiveInteger(task.classes, `tasks[${i}].classes`) < 2)
      fail(`tasks[${i}].classes`, 'needs at least 2 classes');
  });
  positiveInteger(config.fps, 'fps');
  if (!Number.isInteger(config.seed) || config.seed < 0) {
    fail('seed', `must be a non-negative integer, got ${JSON.stringify(config.seed)}`);
  }

  const audio = config.audio;
  positiveInteger(audio?.sampleRate, 'audio.sampleRate');
  const frameSamples = configSamplesPerFrame(config);
  let steps = frameSamples;
  let channels = 1;
  list(audio.layers, 'audio.layers', false).forEach((layer, i) => {
    const at = `audio.layers[${i}]`;
    positiveInteger(layer?.kernel, `${at}.kernel`);
    channels = positiveInteger(layer.filters, `${at}.filters`);
    for (const key of ['stride', 'pool'] as const) {
      const factor = positiveInteger(layer[key], `${at}.${key}`);
      if (steps % factor !== 0) {
        fail(
          `${at}.${key}`,
          `${factor} does not divide the ${steps} steps per frame reaching it (${frameSamples} samples per frame)`,
        );
      }
      steps /= factor;
    }
  });
  oneOf(audio.activation, ['relu', 'linear'], 'audio.activation');
  oneOf(audio.padding, ['tf', 'torch'], 'audio.padding');
  const channelPool = positiveInteger(audio.channelPool, 'audio.channelPool');
  if (channels % channelPool !== 0)
    fail('audio.channelPool', `${channelPool} does not divide the last conv's ${channels} filters`);

  const video = config.video;
  if (!VIDEO_ENCODERS.includes(video?.encoder)) {
    fail(
      'video.encoder',
      `must be one of ${VIDEO_ENCODERS.map((name) => `'${name}'`).join(', ')}, got ${JSON.stringify(video?.encoder)}`,
    );
  }
  positiveInteger(video.frameSize, 'video.frameSize');
  if (video.channels !== 1 && video.channels !== 3)
    fail('video.channels', `must be 1 or 3, got ${JSON.stringify(video.channels)}`);
  if (video.encoder === 'cnn') {
    for (const key of ['filters', 'kernel', 'stride'] as const) positiveInteger(video.stem?.[key], `video.stem.${key}`);
    if (typeof video.stem.maxPool !== 'boolean') fail('video.stem.maxPool', 'must be true or false');
    if (video.block !== 'basic' && video.block !== 'bottleneck') {
      fail('video.block', `must be 'basic' or 'bottleneck', got ${JSON.stringify(video.block)}`);
    }
    oneOf(video.stridePadding, ['same', 'symmetric'], 'video.stridePadding');
    oneOf(video.runningVariance, ['biased', 'unbiased'], 'video.runningVariance');
    if (video.framesPerChunk !== undefined) positiveInteger(video.framesPerChunk, 'video.framesPerChunk');
    list(video.stages, 'video.stages', true).forEach((stage, i) => {
      for (const key of ['blocks', 'filters', 'stride'] as const)
        positiveInteger(stage?.[key], `video.stages[${i}].${key}`);
    });
  } else {
    // A checkpoint must say what it runs: CNN fields next to a frozen encoder would be ignored.
    const stray = ['stem', 'block', 'stages', 'stridePadding', 'runningVariance', 'framesPerChunk'].find(
      (key) => key in video,
    );
    if (stray !== undefined)
      fail(`video.${stray}`, `belongs to the 'cnn' encoder only; remove it for '${video.encoder}'`);
  }

  positiveInteger(config.fusion?.lstmUnits, 'fusion.lstmUnits');
  positiveInteger(config.fusion.lstmLayers, 'fusion.lstmLayers');
  const dropout = config.fusion.dropout;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) {
    fail('fusion.dropout', `must be in [0, 1), got ${JSON.stringify(dropout)}`);
  }
  return config;
}
