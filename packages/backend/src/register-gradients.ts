import { type GradConfig, getGradient, registerGradient } from '@tensorflow/tfjs-core';
import { gradientConfigs } from './generated/tfjs-gradients.js';

/**
 * Registers every gradient that tfjs-core defines but does not register by itself.
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

/** Kernel names that tfjs-core has a gradient for, in the installed version. */
export function gradientKernelNames(): string[] {
  return gradientConfigs.map((config) => config.kernelName);
}
