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
 * the variance from a second pass around the mean (no E[x²] - E[x]² cancellation).
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
  const mean = columnSums(x, channels).map((sum) => sum / count);
  // Σ x (x - mean) = Σ (x - mean)², as Σ (x - mean) = 0; in float64 the difference is round-off.
  const squares = columnProductSums(x, x, mean, channels);
  const scale = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const variance = (squares[c] as number) / count;
    meanArray[c] = mean[c] as number;
    varianceArray[c] = variance;
    scale[c] = (gamma[c] as number) / Math.sqrt(variance + attrs.epsilon);
    shift[c] = (beta[c] as number) - (mean[c] as number) * (scale[c] as number);
  }
  affineColumns(x, scale, shift, channels, attrs.relu, y);
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
  const g = attrs.relu ? maskedGradient(dy, y) : dy;
  const sumG = columnSums(g, channels);
  const sumGx = columnProductSums(g, x, mean, channels);
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
  affineColumns(g, a, d, channels, false, dx, { values: x, scale: b });
  return [dxOut, dGammaOut, dBetaOut];
}

/** Rows of a [rows, channels] array per block of the column sums below: 16 KiB, which stays in L1. */
const ROW_BLOCK_FLOATS = 4096;

/**
 * Per channel of a [rows, channels] array: Σ x, in float64. Four channels at a time in
 * local accumulators, over blocks of rows: V8 keeps locals in registers, where an
 * accumulator array costs a store and a load per element (about 5x slower on the 2-core
 * machine).
 */
function columnSums(x: Float32Array, channels: number): Float64Array {
  return columnReduce(x, x, channels, new Float64Array(channels), false);
}

/** Per channel: Σ a (b - centre), as columnSums. */
function columnProductSums(
  a: Float32Array,
  b: Float32Array,
  centre: ArrayLike<number>,
  channels: number,
): Float64Array {
  return columnReduce(a, b, channels, Float64Array.from(centre), true);
}

/** Σ over rows of a · (b - centre) per channel when `product`, else Σ a (b unused). */
function columnReduce(
  a: Float32Array,
  b: Float32Array,
  channels: number,
  centre: Float64Array,
  product: boolean,
): Float64Array {
  const sums = new Float64Array(channels);
  const rows = a.length / channels;
  const blockRows = Math.max(1, Math.floor(ROW_BLOCK_FLOATS / channels));
  for (let r0 = 0; r0 < rows; r0 += blockRows) {
    const end = Math.min(rows, r0 + blockRows) * channels;
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      const [m0, m1, m2, m3] = [centre[c], centre[c + 1], centre[c + 2], centre[c + 3]] as number[] as Quad;
      let [s0, s1, s2, s3] = [0, 0, 0, 0];
      const start = r0 * channels + c;
      if (product) {
        for (let i = start; i < end; i += channels) {
          s0 += (a[i] as number) * ((b[i] as number) - m0);
          s1 += (a[i + 1] as number) * ((b[i + 1] as number) - m1);
          s2 += (a[i + 2] as number) * ((b[i + 2] as number) - m2);
          s3 += (a[i + 3] as number) * ((b[i + 3] as number) - m3);
        }
      } else {
        for (let i = start; i < end; i += channels) {
          s0 += a[i] as number;
          s1 += a[i + 1] as number;
          s2 += a[i + 2] as number;
          s3 += a[i + 3] as number;
        }
      }
      sums[c] = (sums[c] as number) + s0;
      sums[c + 1] = (sums[c + 1] as number) + s1;
      sums[c + 2] = (sums[c + 2] as number) + s2;
      sums[c + 3] = (sums[c + 3] as number) + s3;
    }
    for (; c < channels; c++) {
      const m = centre[c] as number;
      let sum = 0;
      for (let i = r0 * channels + c; i < end; i += channels) {
        sum += product ? (a[i] as number) * ((b[i] as number) - m) : (a[i] as number);
      }
      sums[c] = (sums[c] as number) + sum;
    }
  }
  return sums;
}

/**
 * out = scale[c] u + shift[c] (+ extra.scale[c] extra.values) per channel c of [rows,
 * channels] arrays, then ReLU when `relu`. Four channels at a time with their factors in
 * locals, as columnReduce: a loop over one row's few channels with the factors in arrays
 * runs about 2.5x slower. ReLU without a branch, (v + |v|) / 2: a branch mispredicts on
 * half the values (about 7x slower).
 */
function affineColumns(
  u: Float32Array,
  scale: Float64Array,
  shift: Float64Array,
  channels: number,
  relu: boolean,
  out: Float32Array,
  extra?: { values: Float32Array; scale: Float64Array },
): void {
  const v = extra?.values ?? u;
  const q = extra?.scale ?? new Float64Array(channels);
  const n = u.length;
  // keep = 1 passes v as is; keep = 0 gives (v + |v|) / 2.
  const keep = relu ? 0 : 1;
  let c = 0;
  for (; c + 4 <= channels; c += 4) {
    const [p0, p1, p2, p3] = [scale[c], scale[c + 1], scale[c + 2], scale[c + 3]] as number[] as Quad;
    const [q0, q1, q2, q3] = [q[c], q[c + 1], q[c + 2], q[c + 3]] as number[] as Quad;
    const [r0, r1, r2, r3] = [shift[c], shift[c + 1], shift[c + 2], shift[c + 3]] as number[] as Quad;
    for (let i = c; i < n; i += channels) {
      const w0 = p0 * (u[i] as number) + q0 * (v[i] as number) + r0;
      const w1 = p1 * (u[i + 1] as number) + q1 * (v[i + 1] as number) + r1;
      const w2 = p2 * (u[i + 2] as number) + q2 * (v[i + 2] as number) + r2;
      const w3 = p3 * (u[i + 3] as number) + q3 * (v[i + 3] as number) + r3;
      out[i] = keep * w0 + (1 - keep) * 0.5 * (w0 + Math.abs(w0));
      out[i + 1] = keep * w1 + (1 - keep) * 0.5 * (w1 + Math.abs(w1));
      out[i + 2] = keep * w2 + (1 - keep) * 0.5 * (w2 + Math.abs(w2));
      out[i + 3] = keep * w3 + (1 - keep) * 0.5 * (w3 + Math.abs(w3));
    }
  }
  for (; c < channels; c++) {
    const [pc, qc, rc] = [scale[c], q[c], shift[c]] as number[] as [number, number, number];
    for (let i = c; i < n; i += channels) {
      const w = pc * (u[i] as number) + qc * (v[i] as number) + rc;
      out[i] = keep * w + (1 - keep) * 0.5 * (w + Math.abs(w));
    }
  }
}

type Quad = [number, number, number, number];

/** dy where the ReLU passed its input (y > 0), else 0; the mask as an integer, without a branch. */
function maskedGradient(dy: Float32Array, y: Float32Array): Float32Array {
  const g = new Float32Array(dy.length);
  for (let i = 0; i < dy.length; i++) {
    const passed = (y[i] as number) > 0;
    g[i] = (dy[i] as number) * ((passed as unknown as number) | 0);
  }
  return g;
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
