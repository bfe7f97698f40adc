import { registerBatchNormTrainingKernels } from './batch-norm/batch-norm-training.js';
import { registerLstmRecurrenceKernels } from './lstm/lstm-recurrence.js';
import { registerAdamUpdateKernels } from './optimizers/fused-adam.js';

/**
 * Registers this package's fused kernels (LSTM recurrence, batch norm in training, Adam
 * update, and their gradient kernels) on wasm and cpu, where not registered yet.
 */
export function registerFusedKernels(): void {
  registerLstmRecurrenceKernels();
  registerBatchNormTrainingKernels();
  registerAdamUpdateKernels();
}
