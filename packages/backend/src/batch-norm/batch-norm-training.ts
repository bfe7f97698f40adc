import {
  add,
  engine,
  type GradConfig,
  getBackend,
  getKernel,
  type KernelConfig,
  moments,
  mul,
  registerKernel,
  rsqrt,
  sub,
  type Tensor,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { cpuHost, type Host, wasmHost } from '../host-arrays.js';

/** Kernel names: batch normalisation with batch statistics over all but the last axis, and its gradient. */
export const BATCH_NORM_TRAINING = 'MtlBatchNormTraining';
export const BATCH_NORM_TRAINING_GRAD = 'MtlBatchNormTrainingGrad';

export interface BatchNormTrainingResult {
  /** gamma * (x - mean) / sqrt(variance + epsilon) + beta. */
  y: Tensor;
  /** Per channel (last axis) over every other axis; the variance is the biased one, as tf.moments'. */
  mean: Tensor;
  variance: Tensor;
}

/**
 * Training-mode batch normalisation over the last axis, as one kernel with its own
 * gradient. Op by op (moments, then broadcast subtract, multiply, add) it is 7 kernels
 * forward and about 15 backward, most of them full-size passes that broadcast per
 * channel; here it is two passes over x forward (statistics, output) and two backward.
 * On backends without the kernel (tfjs-node) the same ops run one by one.
 */
export function batchNormTraining(x: Tensor, gamma: Tensor, beta: Tensor, epsilon: number): BatchNormTrainingResult {
  if (getKernel(BATCH_NORM_TRAINING, getBackend()) === undefined) {
    const { mean, variance } = moments(x, [...x.shape.keys()].slice(0, -1));
    const y = add(mul(sub(x, mean), mul(gamma, rsqrt(add(variance, epsilon)))), beta);
    return { y, mean, variance };
  }
  const [y, mean, variance] = engine().runKernel(BATCH_NORM_TRAINING, { x, gamma, beta }, { epsilon }) as Tensor[];
  return { y: y!, mean: mean!, variance: variance! };
}

function forward(host: Host, x: TensorInfo, gamma: TensorInfo, beta: TensorInfo, epsilon: number): TensorInfo[] {
  const channels = x.shape.at(-1) as number;
  const rows = util.sizeFromShape(x.shape) / channels;
  const outputs = [host.output(x.shape), host.output([channels]), host.output([channels])];
  const [xs, gs, bs] = [x, gamma, beta].map((info) => host.read(info)) as [Float32Array, Float32Array, Float32Array];
  const [ys, means, variances] = outputs.map((info) => host.read(info)) as [Float32Array, Float32Array, Float32Array];
  const sum = new Float64Array(channels);
  for (let r = 0, i = 0; r < rows; r++)
    for (let c = 0; c < channels; c++, i++) sum[c] = (sum[c] as number) + (xs[i] as number);
  const mean = sum.map((s) => s / rows);
  const squares = new Float64Array(channels);
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++, i++) {
      const d = (xs[i] as number) - (mean[c] as number);
      squares[c] = (squares[c] as number) + d * d;
    }
  }
  const variance = squares.map((s) => s / rows);
  const scale = variance.map((v, c) => (gs[c] as number) / Math.sqrt(v + epsilon));
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++, i++) {
      ys[i] = ((xs[i] as number) - (mean[c] as number)) * (scale[c] as number) + (bs[c] as number);
    }
  }
  means.set(mean);
  variances.set(variance);
  return outputs;
}

/**
 * dy (and the gradients of the returned mean and variance, zero unless used) -> dx,
 * dgamma, dbeta. With xhat = (x - mean) r, r = 1 / sqrt(variance + epsilon), over N rows:
 * dbeta = sum dy, dgamma = sum dy xhat, dx = gamma r (dy - (dbeta + xhat dgamma) / N)
 * + dmean / N + dvariance 2 (x - mean) / N.
 */
function backward(
  host: Host,
  inputs: Record<'dy' | 'dMean' | 'dVariance' | 'x' | 'gamma' | 'mean' | 'variance', TensorInfo>,
  epsilon: number,
): TensorInfo[] {
  const { x } = inputs;
  const channels = x.shape.at(-1) as number;
  const rows = util.sizeFromShape(x.shape) / channels;
  const outputs = [host.output(x.shape), host.output([channels]), host.output([channels])];
  const [dys, dMeans, dVariances, xs, gs, means, variances] = (
    ['dy', 'dMean', 'dVariance', 'x', 'gamma', 'mean', 'variance'] as const
  ).map((name) => host.read(inputs[name])) as Float32Array[] as [
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  const [dxs, dGammas, dBetas] = outputs.map((info) => host.read(info)) as [Float32Array, Float32Array, Float32Array];
  const r = Float64Array.from(variances, (v) => 1 / Math.sqrt(v + epsilon));
  const dBeta = new Float64Array(channels);
  const dGamma = new Float64Array(channels);
  for (let row = 0, i = 0; row < rows; row++) {
    for (let c = 0; c < channels; c++, i++) {
      const dy = dys[i] as number;
      dBeta[c] = (dBeta[c] as number) + dy;
      dGamma[c] = (dGamma[c] as number) + dy * ((xs[i] as number) - (means[c] as number)) * (r[c] as number);
    }
  }
  for (let row = 0, i = 0; row < rows; row++) {
    for (let c = 0; c < channels; c++, i++) {
      const centred = (xs[i] as number) - (means[c] as number);
      const xhat = centred * (r[c] as number);
      dxs[i] =
        (gs[c] as number) *
          (r[c] as number) *
          ((dys[i] as number) - ((dBeta[c] as number) + xhat * (dGamma[c] as number)) / rows) +
        ((dMeans[c] as number) + 2 * centred * (dVariances[c] as number)) / rows;
    }
  }
  dGammas.set(dGamma);
  dBetas.set(dBeta);
  return outputs;
}

const hosts = { wasm: wasmHost, cpu: cpuHost } as const;
const kernelConfigs: KernelConfig[] = (['wasm', 'cpu'] as const).flatMap((backendName) => [
  {
    kernelName: BATCH_NORM_TRAINING,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, gamma, beta } = inputs as Record<'x' | 'gamma' | 'beta', TensorInfo>;
      return forward(hosts[backendName](backend as never), x, gamma, beta, (attrs as { epsilon: number }).epsilon);
    },
  },
  {
    kernelName: BATCH_NORM_TRAINING_GRAD,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) =>
      backward(
        hosts[backendName](backend as never),
        inputs as Parameters<typeof backward>[1],
        (attrs as { epsilon: number }).epsilon,
      ),
  },
]);

/** Registers the kernel and its gradient kernel on wasm and cpu, where missing. */
export function registerBatchNormTrainingKernels(): void {
  for (const config of kernelConfigs) {
    if (getKernel(config.kernelName, config.backendName) === undefined) registerKernel(config);
  }
}

export const batchNormTrainingGradConfig: GradConfig = {
  kernelName: BATCH_NORM_TRAINING,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs) => {
    const [x, gamma, mean, variance] = saved as [Tensor, Tensor, Tensor, Tensor];
    const [dyY, dMean, dVariance] = dy as Tensor[];
    const [dx, dGamma, dBeta] = engine().runKernel(
      BATCH_NORM_TRAINING_GRAD,
      { dy: dyY!, dMean: dMean!, dVariance: dVariance!, x, gamma, mean, variance },
      attrs as Record<string, number>,
    ) as Tensor[];
    return { x: () => dx!, gamma: () => dGamma!, beta: () => dBeta! };
  },
};
