import { registerBatchNormTrainKernels } from './batch-norm/batch-norm-train.js';
import { registerLstmRecurrenceKernels } from './lstm/lstm-recurrence.js';
import { registerAdamUpdateKernels } from './optimizers/fused-adam.js';
import { registerAllGradients } from './register-gradients.js';

// Importing the package is enough for gradients to work on any backend.
registerAllGradients();
registerLstmRecurrenceKernels();
registerBatchNormTrainKernels();
registerAdamUpdateKernels();

export { batchNormTrain, hasBatchNormTrain } from './batch-norm/batch-norm-train.js';
export {
  type BackendChoice,
  type BackendName,
  type BackendRequest,
  type InitBackendOptions,
  initBackend,
} from './init-backend.js';
export { hasLstmRecurrence, lstmRecurrence } from './lstm/lstm-recurrence.js';
export { FusedAdamOptimizer, fusedAdam } from './optimizers/fused-adam.js';
export { gradientKernelNames, registerAllGradients } from './register-gradients.js';
export {
  IM2COL_BLOCK_FLOATS_FLAG,
  registerWasmKernels,
  WASM_REPLACED_KERNELS,
  WASM_TRAINING_KERNELS,
} from './wasm/register-wasm-kernels.js';
