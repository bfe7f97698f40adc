import {
  type CnnVideoConfig,
  configSamplesPerFrame,
  type ModelConfig,
  usesAudio,
  usesVideo,
  validateConfig,
} from './config.js';
import { FACE_ENCODERS } from './face-encoders.js';
import { residualOutputChannels } from './layers/residual-block.js';

/**
 * Parameter counts and forward FLOPs of a config. FLOPs count 2 per multiply-add of the
 * convolutions and matmuls (the work that dominates); elementwise ops, pooling,
 * normalisation and resizing are left out. Batch-norm moving averages are state, not
 * parameters.
 */
export interface ModelCost {
  /**
   * Trainable parameters by part (`total` = `shared` + `heads`), and apart from them the
   * `frozen` weights of a pretrained face encoder (0 for the `cnn` encoder), which run but
   * are neither trained nor saved.
   */
  parameters: {
    audio: number;
    video: number;
    fusion: number;
    heads: number;
    shared: number;
    total: number;
    frozen: number;
  };
  /** Forward FLOPs per second of input (per fps frames and sampleRate samples). */
  flopsPerSecond: { audio: number; video: number; fusion: number; total: number };
  /** Forward FLOPs of the video encoder for one frame (0 when the modal has no video). */
  videoFlopsPerFrame: number;
  /** The heads run once per clip, not per frame. */
  headFlopsPerClip: number;
}

interface Tally {
  params: number;
  macs: number;
}

function conv2dCost(size: number, inC: number, outC: number, kernel: number, stride: number, tally: Tally): number {
  const out = Math.ceil(size / stride);
  tally.params += kernel * kernel * inC * outC + 2 * outC; // kernel, BN gamma and beta
  tally.macs += out * out * kernel * kernel * inC * outC;
  return out;
}

function audioCost(config: ModelConfig): Tally {
  const tally = { params: 0, macs: 0 };
  let stepsPerSecond = config.audio.sampleRate;
  let channels = 1;
  for (const layer of config.audio.layers) {
    stepsPerSecond /= layer.stride;
    tally.params += layer.kernel * channels * layer.filters + layer.filters;
    tally.macs += stepsPerSecond * layer.kernel * channels * layer.filters;
    stepsPerSecond /= layer.pool;
    channels = layer.filters;
  }
  return tally;
}

/** Per frame; returns the feature size too. */
function cnnCost(video: CnnVideoConfig): Tally & { features: number } {
  const tally = { params: 0, macs: 0 };
  let size = conv2dCost(
    video.frameSize,
    video.channels,
    video.stem.filters,
    video.stem.kernel,
    video.stem.stride,
    tally,
  );
  if (video.stem.maxPool) size = Math.ceil(size / 2);
  let channels = video.stem.filters;
  for (const stage of video.stages) {
    for (let b = 0; b < stage.blocks; b++) {
      const stride = b === 0 ? stage.stride : 1;
      const out = residualOutputChannels(video.block, stage.filters);
      const f = stage.filters;
      let next: number;
      if (video.block === 'bottleneck') {
        conv2dCost(size, channels, f, 1, 1, tally);
        next = conv2dCost(size, f, f, 3, stride, tally);
        conv2dCost(next, f, out, 1, 1, tally);
      } else {
        next = conv2dCost(size, channels, f, 3, stride, tally);
        conv2dCost(next, f, f, 3, 1, tally);
      }
      if (stride !== 1 || channels !== out) conv2dCost(size, channels, out, 1, stride, tally);
      size = next;
      channels = out;
    }
  }
  return { ...tally, features: channels };
}

/** Per frame: trainable and frozen parameters, multiply-adds and features. */
function videoCost(config: ModelConfig): Tally & { frozen: number; features: number } {
  const { video } = config;
  if (!usesVideo(config.modal)) return { params: 0, frozen: 0, macs: 0, features: 0 };
  if (video.encoder === 'cnn') return { ...cnnCost(video), frozen: 0 };
  const spec = FACE_ENCODERS[video.encoder];
  return { params: 0, frozen: spec.parameters, macs: spec.macsPerFrame, features: spec.features };
}

export function modelCost(config: ModelConfig): ModelCost {
  validateConfig(config);
  const { fusion, fps } = config;
  const audio = usesAudio(config.modal) ? audioCost(config) : { params: 0, macs: 0 };
  const videoFrame = videoCost(config);
  let audioFeatures = 0;
  if (usesAudio(config.modal)) {
    const downsampling = config.audio.layers.reduce((d, layer) => d * layer.stride * layer.pool, 1);
    const lastFilters = config.audio.layers[config.audio.layers.length - 1]!.filters;
    audioFeatures = (configSamplesPerFrame(config) / downsampling) * (lastFilters / config.audio.channelPool);
  }

  const units = fusion.lstmUnits;
  let lstmParams = 0;
  let lstmMacsPerStep = 0;
  let inputs = audioFeatures + videoFrame.features;
  for (let layer = 0; layer < fusion.lstmLayers; layer++) {
    lstmParams += (inputs + units) * 4 * units + 4 * units;
    lstmMacsPerStep += (inputs + units) * 4 * units;
    inputs = units;
  }
  const classes = config.tasks.reduce((sum, task) => sum + task.classes, 0);
  const heads = units * classes + classes;

  const flops = {
    audio: 2 * audio.macs,
    video: 2 * videoFrame.macs * fps,
    fusion: 2 * lstmMacsPerStep * fps,
  };
  const shared = audio.params + videoFrame.params + lstmParams;
  return {
    parameters: {
      audio: audio.params,
      video: videoFrame.params,
      fusion: lstmParams,
      heads,
      shared,
      total: shared + heads,
      frozen: videoFrame.frozen,
    },
    flopsPerSecond: { ...flops, total: flops.audio + flops.video + flops.fusion },
    videoFlopsPerFrame: 2 * videoFrame.macs,
    headFlopsPerClip: 2 * units * classes,
  };
}
