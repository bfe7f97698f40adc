import { getKernel, type KernelConfig, registerKernel } from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterConfig } from './kernels/conv2d-backprop-filter.js';

export { IM2COL_BLOCK_FLOATS_FLAG } from './kernels/conv2d-backprop-filter.js';

import { depthwiseConv2dNativeBackpropFilterConfig } from './kernels/depthwise-conv2d-native-backprop-filter.js';
import { depthwiseConv2dNativeBackpropInputConfig } from './kernels/depthwise-conv2d-native-backprop-input.js';
import { unsortedSegmentSumConfig } from './kernels/unsorted-segment-sum.js';

const configs: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  unsortedSegmentSumConfig,
];

/** Kernels that training needs and @tensorflow/tfjs-backend-wasm 4.22 lacks. */
export const WASM_TRAINING_KERNELS: readonly string[] = configs.map((config) => config.kernelName);

/**
 * Registers the kernels above for the wasm backend, each only where the installed
 * tfjs-backend-wasm does not provide it. Returns the names this call registered.
 */
export function registerWasmKernels(): string[] {
  const added: string[] = [];
  for (const config of configs) {
    if (getKernel(config.kernelName, 'wasm') === undefined) {
      registerKernel(config);
      added.push(config.kernelName);
    }
  }
  return added;
}
