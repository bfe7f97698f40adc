export {
  type AssembledBatch,
  type ClipRef,
  preprocessingDifferences,
} from './assemble-batch.js';
export { type PrepareDataOptions, type PreparedData, prepareData, preprocessingFor, type SplitChoice } from './data.js';
export { type Batch, ClipLoader, computeAudioStats, type LoaderClip, type LoaderOptions } from './loader.js';
export { toMediaClip } from './media-clips.js';
export { confusionMatrix, confusionScores, taskMetrics } from './metrics.js';
export * from './run-store/index.js';
