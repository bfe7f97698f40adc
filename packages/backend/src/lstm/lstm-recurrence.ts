import {
  dispose,
  engine,
  type GradConfig,
  getBackend,
  getKernel,
  type Tensor,
  type Tensor2D,
  type Tensor3D,
} from '@tensorflow/tfjs-core';
import { registerMissingKernels } from '../host-arrays.js';
import { LSTM_RECURRENCE, LSTM_RECURRENCE_GRAD, lstmRecurrenceKernelConfigs } from './lstm-recurrence-kernels.js';

/**
 * The recurrence of one LSTM layer with fused gates, as one kernel with its own gradient:
 * projected inputs [batch, steps, 4u] (x W + b; gate order input, forget, cell, output,
 * as PyTorch) and the recurrent kernel [u, 4u] -> outputs h [batch, steps, u], from zero
 * state. Written op by op, a 30-step layer issues about 700 kernel calls forward and
 * backward, each paying tfjs's ~16 µs of dispatch and tape bookkeeping; as one kernel it
 * issues one each way, and the per-step products go straight to XNNPACK on wasm.
 * Available on the wasm and cpu backends (`hasLstmRecurrence()`).
 */
export function lstmRecurrence(projected: Tensor3D, recurrentKernel: Tensor2D): Tensor3D {
  const [h, c, gates] = engine().runKernel(LSTM_RECURRENCE, { projected, kernel: recurrentKernel }) as Tensor[];
  // What the gradient needs of c and the gates, the tape has already kept.
  dispose([c!, gates!]);
  return h as Tensor3D;
}

/** Whether the current backend has the fused LSTM recurrence kernel. */
export function hasLstmRecurrence(): boolean {
  return getKernel(LSTM_RECURRENCE, getBackend()) !== undefined;
}

export const lstmRecurrenceGradConfig: GradConfig = {
  kernelName: LSTM_RECURRENCE,
  inputsToSave: ['kernel'],
  outputsToSave: [true, true, true],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const [kernel, h, c, gates] = saved as [Tensor, Tensor, Tensor, Tensor];
    // Only h leaves the op, so only its gradient is ever non-zero.
    const dh = Array.isArray(dy) ? dy[0]! : dy;
    const [dProjected, dKernel] = engine().runKernel(LSTM_RECURRENCE_GRAD, { dh, h, c, gates, kernel }) as Tensor[];
    return { projected: () => dProjected!, kernel: () => dKernel! };
  },
};

/** Registers the recurrence kernel and its gradient kernel on wasm and cpu, where missing. */
export function registerLstmRecurrenceKernels(): void {
  registerMissingKernels(lstmRecurrenceKernelConfigs);
}
