export { type AssembledBatch, type ClipRef, preprocessingDifferences } from './assemble-batch.js';
export { findCheckpoint, type LoopState } from './checkpoint.js';
export {
  type CropMode,
  type PrepareDataOptions,
  type PreparedData,
  prepareData,
  preprocessingFor,
  type SplitChoice,
} from './data.js';
export { type EvaluateOptions, type Evaluation, evaluate, loadRunModel, type Prediction, predict } from './evaluate.js';
export { type Batch, ClipLoader, computeAudioStats, type LoaderClip, type LoaderOptions } from './loader.js';
export { confusionMatrix, confusionScores, taskMetrics } from './metrics.js';
export * from './run-store/index.js';
export { type SelectMetric, selectMetric } from './select-metric.js';
export { type SignalStop, stopOnSignals } from './signals.js';
export {
  learningRate,
  NonFiniteError,
  PAPER_TRAINING,
  type RunOptions,
  type RunResult,
  resume,
  type TrainConfig,
  type TrainProgress,
  train,
} from './trainer.js';
