export { confusionMatrix, confusionScores, taskMetrics } from './metrics.js';
export * from './run-store/index.js';
