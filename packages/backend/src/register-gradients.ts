import { type GradConfig, getGradient, registerGradient } from '@tensorflow/tfjs-core';
import { batchNormTrainGradConfig } from './batch-norm/batch-norm-train.js';
import { gradientConfigs as tfjsGradientConfigs } from './generated/tfjs-gradients.js';
import { comparisonGradConfigs } from './gradients/comparison-grads.js';
import { gatherNdGradConfig } from './gradients/gather-nd-grad.js';
import { unpackGradConfig } from './gradients/unpack-grad.js';
import { lstmRecurrenceGradConfig } from './lstm/lstm-recurrence.js';

/** Gradients that replace tfjs-core's own, which are wrong. */
const corrected: readonly GradConfig[] = [unpackGradConfig];
const correctedNames = new Set(corrected.map((config) => config.kernelName));

/** tfjs-core's own gradients (less the corrected ones), the corrections, and the ones it lacks. */
const gradientConfigs: readonly GradConfig[] = [
  ...tfjsGradientConfigs.filter((config) => !correctedNames.has(config.kernelName)),
  ...corrected,
  gatherNdGradConfig,
  ...comparisonGradConfigs,
  lstmRecurrenceGradConfig,
  batchNormTrainGradConfig,
];

/**
 * Registers every gradient that tfjs-core defines but does not register by itself, with
 * its Unpack gradient corrected, the few it lacks (GatherNd; zero gradients for
 * comparisons), and this package's fused LSTM recurrence's and training batch norm's.
 * A gradient already registered (by `@tensorflow/tfjs`, say, or by an earlier call) is
 * kept, so each kernel gets exactly one gradient however often this runs.
 * Returns the number of gradients this call registered.
 */
export function registerAllGradients(configs: readonly GradConfig[] = gradientConfigs): number {
  let added = 0;
  for (const config of configs) {
    if (getGradient(config.kernelName) === undefined) {
      registerGradient(config);
      added += 1;
    }
  }
  return added;
}

/** Kernel names this package provides a gradient for. */
export function gradientKernelNames(): string[] {
  return gradientConfigs.map((config) => config.kernelName);
}
