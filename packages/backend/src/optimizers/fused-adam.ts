import {
  AdamOptimizer,
  engine,
  getBackend,
  getKernel,
  type KernelConfig,
  mul,
  type Tensor,
  type TensorInfo,
  tidy,
  type Variable,
  zerosLike,
} from '@tensorflow/tfjs-core';
import { cpuHost, type Host, registerMissingKernels, wasmHost } from '../host-arrays.js';

/** Kernel name: one variable's Adam update (value, first and second moments) in one pass. */
export const ADAM_UPDATE = 'MtlAdamUpdate';

interface AdamUpdateAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 - beta^t, the bias corrections of this step. */
  firstCorrection: number;
  secondCorrection: number;
}

function adamUpdate(
  host: Host,
  inputs: { value: TensorInfo; m: TensorInfo; v: TensorInfo; gradient: TensorInfo },
  attrs: AdamUpdateAttrs,
): TensorInfo[] {
  const { learningRate, beta1, beta2, epsilon, firstCorrection, secondCorrection } = attrs;
  const outputs = [inputs.value, inputs.m, inputs.v].map((info) => host.output(info.shape));
  const [w, m, v, g] = [inputs.value, inputs.m, inputs.v, inputs.gradient].map((info) => host.read(info)) as [
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  const [wOut, mOut, vOut] = outputs.map((info) => host.read(info)) as [Float32Array, Float32Array, Float32Array];
  for (let i = 0; i < w.length; i++) {
    const gi = g[i] as number;
    const mi = beta1 * (m[i] as number) + (1 - beta1) * gi;
    const vi = beta2 * (v[i] as number) + (1 - beta2) * gi * gi;
    mOut[i] = mi;
    vOut[i] = vi;
    wOut[i] = (w[i] as number) - (learningRate * (mi / firstCorrection)) / (Math.sqrt(vi / secondCorrection) + epsilon);
  }
  return outputs;
}

const adamUpdateConfigs: KernelConfig[] = (['wasm', 'cpu'] as const).map((backendName) => ({
  kernelName: ADAM_UPDATE,
  backendName,
  kernelFunc: ({ inputs, backend, attrs }) =>
    adamUpdate(
      (backendName === 'wasm' ? wasmHost : cpuHost)(backend as never),
      inputs as Parameters<typeof adamUpdate>[1],
      attrs as unknown as AdamUpdateAttrs,
    ),
}));

/** Registers the Adam update kernel on wasm and cpu, where missing. */
export function registerAdamUpdateKernels(): void {
  registerMissingKernels(adamUpdateConfigs);
}

interface AdamState {
  accumulatedFirstMoment: { originalName: string; variable: Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: Variable }[];
  accBeta1: Variable;
  accBeta2: Variable;
}

/**
 * tf.train.adam with each variable's update as one kernel call instead of about a dozen
 * (two moment updates, two bias corrections, a square root, a division, ...): the compact
 * preset's 40 variables cost 480 kernel calls a step, each paying tfjs's dispatch. The
 * same state (moments as `<name>/m`, `<name>/v`, the beta powers, the iteration count),
 * so `getWeights`, `setWeights` and checkpoints of the optimiser are tf.train.adam's. On
 * backends without the kernel (tfjs-node) it is tf.train.adam.
 */
export class FusedAdamOptimizer extends AdamOptimizer {
  override applyGradients(variableGradients: Parameters<AdamOptimizer['applyGradients']>[0]): void {
    if (getKernel(ADAM_UPDATE, getBackend()) === undefined) {
      super.applyGradients(variableGradients);
      return;
    }
    const list = Array.isArray(variableGradients)
      ? variableGradients
      : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    const step = this.iterations + 1;
    const attrs: AdamUpdateAttrs = {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      firstCorrection: 1 - this.beta1 ** step,
      secondCorrection: 1 - this.beta2 ** step,
    };
    // tf.train.adam's own state, which its TypeScript declarations mark private.
    const state = this as unknown as AdamState;
    const zeros = (like: Variable, name: string) => ({
      originalName: name,
      variable: tidy(() => zerosLike(like).variable(false)),
    });
    tidy(() => {
      list.forEach(({ name, tensor: gradient }, i) => {
        const value = engine().registeredVariables[name] as Variable;
        state.accumulatedFirstMoment[i] ??= zeros(value, `${name}/m`);
        state.accumulatedSecondMoment[i] ??= zeros(value, `${name}/v`);
        if (gradient == null) return;
        const m = state.accumulatedFirstMoment[i]!.variable;
        const v = state.accumulatedSecondMoment[i]!.variable;
        const [newValue, newM, newV] = engine().runKernel(
          ADAM_UPDATE,
          { value, m, v, gradient },
          attrs as unknown as Record<string, number>,
        ) as Tensor[];
        m.assign(newM!);
        v.assign(newV!);
        value.assign(newValue!);
      });
      state.accBeta1.assign(mul(state.accBeta1, this.beta1));
      state.accBeta2.assign(mul(state.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }
}

/** `tf.train.adam(learningRate, beta1, beta2, epsilon)`, fused per variable on wasm and cpu. */
export function fusedAdam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon?: number): FusedAdamOptimizer {
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}
