import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { cpuHost, type Host, wasmHost } from '../host-arrays.js';

/** Kernel names: training-mode batch normalisation over the last axis (+ ReLU), and its gradient. */
export const BATCH_NORM_TRAIN = 'MtlBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'MtlBatchNormTrainGrad';

export interface BatchNormTrainAttrs {
  epsilon: number;
  relu: boolean;
}

/**
 * x [..., C], gamma [C], beta [C] -> y = (relu?)(gamma (x - mean) / sqrt(variance + eps) + beta),
 * mean [C] and the biased variance [C] over every axis but the last. Sums in float64,
 * the variance from a second pass over x - mean (no cancellation).
 */
function forward(
  host: Host,
  inputs: { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo },
  attrs: BatchNormTrainAttrs,
): TensorInfo[] {
  const channels = inputs.x.shape[inputs.x.shape.length - 1] as number;
  const yOut = host.output(inputs.x.shape);
  const meanOut = host.output([channels]);
  const varianceOut = host.output([channels]);
  // Views after the last allocation: an allocation may move the wasm heap.
  const [x, gamma, beta] = [host.read(inputs.x), host.read(inputs.gamma), host.read(inputs.beta)];
  const [y, meanArray, varianceArray] = [host.read(yOut), host.read(meanOut), host.read(varianceOut)];
  const count = x.length / channels;
  const sums = new Float64Array(channels);
  for (let i = 0; i < x.length; i += channels) {
    for (let c = 0; c < channels; c++) sums[c] = (sums[c] as number) + (x[i + c] as number);
  }
  const mean = sums.map((sum) => sum / count);
  const squares = new Float64Array(channels);
  for (let i = 0; i < x.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const d = (x[i + c] as number) - (mean[c] as number);
      squares[c] = (squares[c] as number) + d * d;
    }
  }
  const scale = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const variance = (squares[c] as number) / count;
    meanArray[c] = mean[c] as number;
    varianceArray[c] = variance;
    scale[c] = (gamma[c] as number) / Math.sqrt(variance + attrs.epsilon);
    shift[c] = (beta[c] as number) - (mean[c] as number) * (scale[c] as number);
  }
  for (let i = 0; i < x.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const v = (x[i + c] as number) * (scale[c] as number) + (shift[c] as number);
      y[i + c] = attrs.relu && v < 0 ? 0 : v;
    }
  }
  return [yOut, meanOut, varianceOut];
}

/**
 * dy, and the forward's x, gamma, y (its ReLU mask), mean and variance -> dx, dgamma,
 * dbeta. With g = dy masked by y > 0 and x̂ the normalised x: dbeta = Σ g,
 * dgamma = Σ g x̂, dx = gamma / sqrt(variance + eps) (g - (dbeta + x̂ dgamma) / n).
 */
function backward(
  host: Host,
  inputs: { dy: TensorInfo; x: TensorInfo; gamma: TensorInfo; y: TensorInfo; mean: TensorInfo; variance: TensorInfo },
  attrs: BatchNormTrainAttrs,
): TensorInfo[] {
  const channels = inputs.x.shape[inputs.x.shape.length - 1] as number;
  const dxOut = host.output(inputs.x.shape);
  const dGammaOut = host.output([channels]);
  const dBetaOut = host.output([channels]);
  const [dy, x, y] = [host.read(inputs.dy), host.read(inputs.x), host.read(inputs.y)];
  const [gamma, mean, variance] = [host.read(inputs.gamma), host.read(inputs.mean), host.read(inputs.variance)];
  const [dx, dGamma, dBeta] = [host.read(dxOut), host.read(dGammaOut), host.read(dBetaOut)];
  const count = x.length / channels;
  const inverse = Float64Array.from(variance, (v) => 1 / Math.sqrt(v + attrs.epsilon));
  const sumG = new Float64Array(channels);
  const sumGx = new Float64Array(channels);
  for (let i = 0; i < x.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      if (attrs.relu && (y[i + c] as number) <= 0) continue;
      const g = dy[i + c] as number;
      sumG[c] = (sumG[c] as number) + g;
      sumGx[c] = (sumGx[c] as number) + g * ((x[i + c] as number) - (mean[c] as number));
    }
  }
  // dx = a g + b x + d per channel, from the sums above.
  const a = new Float64Array(channels);
  const b = new Float64Array(channels);
  const d = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const inv = inverse[c] as number;
    const dGammaC = (sumGx[c] as number) * inv;
    dBeta[c] = sumG[c] as number;
    dGamma[c] = dGammaC;
    a[c] = (gamma[c] as number) * inv;
    b[c] = (-(a[c] as number) * dGammaC * inv) / count;
    d[c] = (-(a[c] as number) * (sumG[c] as number)) / count - (b[c] as number) * (mean[c] as number);
  }
  for (let i = 0; i < x.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const g = attrs.relu && (y[i + c] as number) <= 0 ? 0 : (dy[i + c] as number);
      dx[i + c] = (a[c] as number) * g + (b[c] as number) * (x[i + c] as number) + (d[c] as number);
    }
  }
  return [dxOut, dGammaOut, dBetaOut];
}

function batchNormKernels(backendName: 'wasm' | 'cpu', host: (backend: never) => Host): KernelConfig[] {
  return [
    {
      kernelName: BATCH_NORM_TRAIN,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) =>
        forward(
          host(backend as never),
          inputs as Parameters<typeof forward>[1],
          attrs as unknown as BatchNormTrainAttrs,
        ),
    },
    {
      kernelName: BATCH_NORM_TRAIN_GRAD,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) =>
        backward(
          host(backend as never),
          inputs as Parameters<typeof backward>[1],
          attrs as unknown as BatchNormTrainAttrs,
        ),
    },
  ];
}

/** Training batch norm and its gradient on the wasm and cpu backends. */
export const batchNormTrainKernelConfigs: readonly KernelConfig[] = [
  ...batchNormKernels('wasm', wasmHost),
  ...batchNormKernels('cpu', cpuHost),
];
