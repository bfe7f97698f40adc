// Registers every tfjs gradient, so that models built here train on any backend.
import '@mtl/backend';

export { samplesPerFrame } from '@mtl/common';
export {
  CHECKPOINT_FORMAT,
  checkpointConfig,
  type EncodedCheckpoint,
  encodeCheckpoint,
  modelFromArtifacts,
  restoreWeights,
  WEIGHTS_FILE,
} from './checkpoint.js';
export { loadCheckpoint, readCheckpoint, saveCheckpoint } from './checkpoint-files.js';
export {
  type AudioConvSpec,
  type AudioNetConfig,
  type AudioPadding,
  type CnnVideoConfig,
  type FaceEncoderName,
  type FaceVideoConfig,
  type FusionConfig,
  type Modal,
  type ModelConfig,
  type ResNetStageSpec,
  type RunningVariance,
  type StridePadding,
  type TaskSpec,
  VIDEO_ENCODERS,
  type VideoEncoderName,
  type VideoNetConfig,
  validateConfig,
} from './config.js';
export { type ModelCost, modelCost } from './cost.js';
export { FACE_ENCODERS, type FaceEncoderSpec } from './face-encoders.js';
export { type ForwardContext, INFERENCE } from './forward-context.js';
export {
  blockwise,
  constant,
  fans,
  glorotUniform,
  heNormal,
  type Initializer,
  orthogonal,
  zeros,
} from './initializers.js';
export type { Activation } from './layers/activation.js';
export { BatchNorm, type BatchNormOptions } from './layers/batch-norm.js';
export { ConvBatchNorm, type ConvBatchNormOptions, stridedPadding } from './layers/conv-batch-norm.js';
export { Conv1D, type Conv1DOptions } from './layers/conv1d.js';
export { Conv2D, type Conv2DOptions } from './layers/conv2d.js';
export { Dense, type DenseOptions } from './layers/dense.js';
export { Dropout } from './layers/dropout.js';
export { LSTM, LSTMLayer, type LSTMOptions, type LSTMOutput } from './layers/lstm.js';
export { channelMaxPool, globalAveragePool2d, maxPool1d, maxPool2d } from './layers/pooling.js';
export { ResidualBlock, type ResidualBlockKind, type ResidualBlockOptions } from './layers/residual-block.js';
export type { Lengths } from './lengths.js';
export { AudioNet } from './networks/audio-net.js';
export { FrozenFaceEncoder, type FrozenWeight } from './networks/frozen-face-encoder.js';
export {
  type CreateModelOptions,
  createModel,
  type InputSpec,
  inputSpecOf,
  type ModelInputs,
  MultitaskModel,
  type TaskLogits,
  type VariableTree,
} from './networks/multitask-model.js';
export { VideoNet } from './networks/video-net.js';
export { type PresetName, type PresetOptions, presetConfig } from './presets.js';
export { Scope, type VariableEntry, VariableStore } from './variable-store.js';
