import { registerFusedKernels } from './fused-kernels.js';
import { registerAllGradients } from './register-gradients.js';

// Importing the package is enough for gradients to work on any backend.
registerAllGradients();
registerFusedKernels();

export { type BatchNormTrainingResult, batchNormTraining } from './batch-norm/batch-norm-training.js';
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
