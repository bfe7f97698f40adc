import { type ModelConfig, samplesPerFrame, usesAudio, usesVideo, validateConfig } from './config.js';
import { residualOutputChannels } from './layers/residual-block.js';

/**
 * Trainable parameter counts and forward FLOPs of a config. FLOPs count 2 per
 * multiply-add of the convolutions and matmuls (the work that dominates); elementwise
 * ops, pooling and normalisation are left out. Batch-norm moving averages are state, not
 * parameters.
 */
export interface ModelCost {
  parameters: { audio: number; video: number; fusion: number; heads: number; shared: number; total: number };
  /** Forward FLOPs per second of input (per frameRate frames and sampleRate samples). */
  flopsPerSecond: { audio: number; video: number; fusion: number; total: number };
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
function videoCost(config: ModelConfig): Tally & { features: number } {
  const { video } = config;
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

export function modelCost(config: ModelConfig): ModelCost {
  validateConfig(config);
  const { fusion, frameRate } = config;
  const audio = usesAudio(config.modal) ? audioCost(config) : { params: 0, macs: 0 };
  const videoFrame = usesVideo(config.modal) ? videoCost(config) : { params: 0, macs: 0, features: 0 };
  let audioFeatures = 0;
  if (usesAudio(config.modal)) {
    const downsampling = config.audio.layers.reduce((d, layer) => d * layer.stride * layer.pool, 1);
    const lastFilters = config.audio.layers[config.audio.layers.length - 1]!.filters;
    audioFeatures = (samplesPerFrame(config) / downsampling) * (lastFilters / config.audio.channelPool);
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
    video: 2 * videoFrame.macs * frameRate,
    fusion: 2 * lstmMacsPerStep * frameRate,
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
    },
    flopsPerSecond: { ...flops, total: flops.audio + flops.video + flops.fusion },
    headFlopsPerClip: 2 * units * classes,
  };
}
