import { getKernel, type KernelConfig, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterConfig } from './kernels/conv2d-backprop-filter.js';
import { depthwiseConv2dNativeBackpropFilterConfig } from './kernels/depthwise-conv2d-native-backprop-filter.js';
import { depthwiseConv2dNativeBackpropInputConfig } from './kernels/depthwise-conv2d-native-backprop-input.js';
import { maxPoolGradConfig } from './kernels/max-pool-grad.js';
import { unsortedSegmentSumConfig } from './kernels/unsorted-segment-sum.js';

export { IM2COL_BLOCK_FLOATS_FLAG } from './kernels/conv2d-backprop-filter.js';

/** Kernels that training needs and @tensorflow/tfjs-backend-wasm 4.22 lacks. */
const missing: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  unsortedSegmentSumConfig,
];

/** Kernels that @tensorflow/tfjs-backend-wasm 4.22 has but computes wrongly. */
const corrected: readonly KernelConfig[] = [maxPoolGradConfig];

export const WASM_TRAINING_KERNELS: readonly string[] = missing.map((config) => config.kernelName);
export const WASM_CORRECTED_KERNELS: readonly string[] = corrected.map((config) => config.kernelName);

/**
 * Registers the kernels above for the wasm backend: a missing one only where the
 * installed tfjs-backend-wasm does not provide it, a corrected one in place of the
 * backend's own. Idempotent. Returns the names this call registered.
 */
export function registerWasmKernels(): string[] {
  const added: string[] = [];
  for (const config of missing) {
    if (getKernel(config.kernelName, 'wasm') === undefined) {
      registerKernel(config);
      added.push(config.kernelName);
    }
  }
  for (const config of corrected) {
    const current = getKernel(config.kernelName, 'wasm');
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current !== undefined) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
    added.push(config.kernelName);
  }
  return added;
}
