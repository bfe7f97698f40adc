import {
  BatchMatMul,
  Conv2D,
  Conv2DBackpropInput,
  FusedConv2D,
  GatherV2,
  getKernel,
  Identity,
  type KernelConfig,
  MaxPoolGrad,
  Mean,
  registerKernel,
  Sum,
  unregisterKernel,
} from '@tensorflow/tfjs-core';
import { untransposedMatMul } from './kernels/batch-mat-mul.js';
import { longConv1dForward } from './kernels/conv2d.js';
import { conv2DBackpropFilterConfig } from './kernels/conv2d-backprop-filter.js';
import { conv2DBackpropInputConfig } from './kernels/conv2d-backprop-input.js';
import { depthwiseConv2dNativeBackpropFilterConfig } from './kernels/depthwise-conv2d-native-backprop-filter.js';
import { depthwiseConv2dNativeBackpropInputConfig } from './kernels/depthwise-conv2d-native-backprop-input.js';
import { gatherRows } from './kernels/gather-rows.js';
import { sharedIdentity } from './kernels/identity.js';
import { maxPoolGradConfig } from './kernels/max-pool-grad.js';
import { innerBlockReduction } from './kernels/reduce-inner-block.js';
import { unsortedSegmentSumConfig } from './kernels/unsorted-segment-sum.js';

export { IM2COL_BLOCK_FLOATS_FLAG } from './kernels/conv2d-backprop-filter.js';

/** Kernels that training needs and @tensorflow/tfjs-backend-wasm 4.22 lacks. */
const missing: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  unsortedSegmentSumConfig,
];

/**
 * Kernels that @tensorflow/tfjs-backend-wasm 4.22 has but computes wrongly or slowly,
 * each built from the backend's own kernel (which a replacement may delegate to).
 */
const replacements: Record<string, (original: KernelConfig) => KernelConfig> = {
  [MaxPoolGrad]: () => maxPoolGradConfig,
  [Conv2D]: longConv1dForward,
  [FusedConv2D]: longConv1dForward,
  [Conv2DBackpropInput]: () => conv2DBackpropInputConfig,
  [BatchMatMul]: untransposedMatMul,
  _FusedMatMul: untransposedMatMul,
  [Sum]: innerBlockReduction('sum'),
  [Mean]: innerBlockReduction('mean'),
  [GatherV2]: gatherRows,
  [Identity]: sharedIdentity,
};

export const WASM_TRAINING_KERNELS: readonly string[] = missing.map((config) => config.kernelName);
export const WASM_REPLACED_KERNELS: readonly string[] = Object.keys(replacements);

const installed = new WeakSet<KernelConfig['kernelFunc']>();

/**
 * Registers the kernels above for the wasm backend: a missing one only where the
 * installed tfjs-backend-wasm does not provide it, a replacement in place of the
 * backend's own (keeping its setup function, which binds the wasm exports). Idempotent.
 * Returns the names this call registered.
 */
export function registerWasmKernels(): string[] {
  const added: string[] = [];
  for (const config of missing) {
    if (getKernel(config.kernelName, 'wasm') === undefined) {
      registerKernel(config);
      added.push(config.kernelName);
    }
  }
  for (const [kernelName, replace] of Object.entries(replacements)) {
    const original = getKernel(kernelName, 'wasm');
    if (original === undefined || installed.has(original.kernelFunc)) continue;
    const replacement = { ...replace(original), kernelName, backendName: 'wasm', setupFunc: original.setupFunc };
    unregisterKernel(kernelName, 'wasm');
    registerKernel(replacement);
    installed.add(replacement.kernelFunc);
    added.push(kernelName);
  }
  return added;
}
