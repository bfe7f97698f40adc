import { engine, type GradConfig, getBackend, getKernel, type Tensor, type Tensor1D } from '@tensorflow/tfjs-core';
import { registerMissingKernels } from '../host-arrays.js';
import {
  BATCH_NORM_TRAIN,
  BATCH_NORM_TRAIN_GRAD,
  type BatchNormTrainAttrs,
  batchNormTrainKernelConfigs,
} from './batch-norm-kernels.js';

/**
 * Training-mode batch normalisation over the last axis, with an optional ReLU, as one
 * kernel each way. Written with broadcasting ops (moments, subtract, scale, shift, ReLU) a
 * unit costs about 10 kernel calls forward and 25 backward, most of them full-size passes,
 * and the tape keeps 4 full-size tensors; fused, it is one call each way and keeps x and y.
 * Returns y and the batch's mean and biased variance (for the moving averages; they carry
 * no gradient). Available on the wasm and cpu backends (`hasBatchNormTrain()`).
 */
export function batchNormTrain<T extends Tensor>(
  x: T,
  gamma: Tensor1D,
  beta: Tensor1D,
  options: { epsilon: number; relu: boolean },
): { y: T; mean: Tensor1D; variance: Tensor1D } {
  const attrs: BatchNormTrainAttrs = { epsilon: options.epsilon, relu: options.relu };
  const [y, mean, variance] = engine().runKernel(
    BATCH_NORM_TRAIN,
    { x, gamma, beta },
    attrs as unknown as Record<string, number>,
  ) as Tensor[];
  return { y: y as T, mean: mean as Tensor1D, variance: variance as Tensor1D };
}

/** Whether the current backend has the fused training batch norm kernel. */
export function hasBatchNormTrain(): boolean {
  return getKernel(BATCH_NORM_TRAIN, getBackend()) !== undefined;
}

export const batchNormTrainGradConfig: GradConfig = {
  kernelName: BATCH_NORM_TRAIN,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [true, true, true],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs) => {
    const [x, gamma, y, mean, variance] = saved as [Tensor, Tensor, Tensor, Tensor, Tensor];
    // Only y reaches a loss; the statistics feed the moving averages only.
    const dyY = Array.isArray(dy) ? dy[0]! : dy;
    const [dx, dGamma, dBeta] = engine().runKernel(
      BATCH_NORM_TRAIN_GRAD,
      { dy: dyY, x, gamma, y, mean, variance },
      attrs as unknown as Record<string, number>,
    ) as Tensor[];
    return { x: () => dx!, gamma: () => dGamma!, beta: () => dBeta! };
  },
};

/** Registers the batch norm kernel and its gradient kernel on wasm and cpu, where missing. */
export function registerBatchNormTrainKernels(): void {
  registerMissingKernels(batchNormTrainKernelConfigs);
}
