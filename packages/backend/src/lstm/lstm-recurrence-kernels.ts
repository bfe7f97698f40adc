import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { cpuHost, type Host, wasmHost } from '../host-arrays.js';

/** Kernel names: the recurrence of one fused-gate LSTM layer, and its gradient. */
export const LSTM_RECURRENCE = 'MtlLstmRecurrence';
export const LSTM_RECURRENCE_GRAD = 'MtlLstmRecurrenceGrad';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * Forward: projected [batch, steps, 4u] (x W + b, gates i, f, g, o) and the recurrent
 * kernel [u, 4u] -> h [batch, steps, u], plus what the gradient reads: c [batch, steps, u]
 * and the activated gates [batch, steps, 4u]. Zero initial state.
 */
function forward(host: Host, projected: TensorInfo, kernel: TensorInfo): TensorInfo[] {
  const [batch, steps, gates] = projected.shape as [number, number, number];
  const units = gates / 4;
  const hOut = host.output([batch, steps, units]);
  const cOut = host.output([batch, steps, units]);
  const gOut = host.output([batch, steps, gates]);
  let h: Float32Array = new Float32Array(batch * units);
  for (let t = 0; t < steps; t++) {
    const z = t === 0 ? new Float32Array(batch * gates) : host.multiply(h, batch, kernel);
    const [p, hs, cs, gs] = [host.read(projected), host.read(hOut), host.read(cOut), host.read(gOut)];
    h = new Float32Array(batch * units);
    for (let b = 0; b < batch; b++) {
      const zRow = b * gates;
      const pRow = (b * steps + t) * gates;
      const sRow = (b * steps + t) * units;
      const previous = (b * steps + t - 1) * units;
      for (let j = 0; j < units; j++) {
        const i = sigmoid((z[zRow + j] as number) + (p[pRow + j] as number));
        const f = sigmoid((z[zRow + units + j] as number) + (p[pRow + units + j] as number));
        const g = Math.tanh((z[zRow + 2 * units + j] as number) + (p[pRow + 2 * units + j] as number));
        const o = sigmoid((z[zRow + 3 * units + j] as number) + (p[pRow + 3 * units + j] as number));
        const c = f * (t === 0 ? 0 : (cs[previous + j] as number)) + i * g;
        const hv = o * Math.tanh(c);
        gs[pRow + j] = i;
        gs[pRow + units + j] = f;
        gs[pRow + 2 * units + j] = g;
        gs[pRow + 3 * units + j] = o;
        cs[sRow + j] = c;
        hs[sRow + j] = hv;
        h[b * units + j] = hv;
      }
    }
  }
  return [hOut, cOut, gOut];
}

/**
 * Backpropagation through time: dh [batch, steps, u] and the forward's h, c, gates and
 * kernel -> d projected [batch, steps, 4u] and d kernel [u, 4u] = sum over steps of
 * h_{t-1}^T dz_t, one product at the end.
 */
function backward(
  host: Host,
  inputs: { dh: TensorInfo; h: TensorInfo; c: TensorInfo; gates: TensorInfo; kernel: TensorInfo },
): TensorInfo[] {
  const [batch, steps, gates] = inputs.gates.shape as [number, number, number];
  const units = gates / 4;
  const w = host.read(inputs.kernel);
  const wT = new Float32Array(gates * units);
  for (let r = 0; r < units; r++) for (let q = 0; q < gates; q++) wT[q * units + r] = w[r * gates + q] as number;
  const kernelT = host.temporary(wT, [gates, units]);
  const dProjected = host.output([batch, steps, gates]);
  let dhNext: Float32Array = new Float32Array(batch * units);
  const dcNext = new Float32Array(batch * units);
  const dz = new Float32Array(batch * gates);
  for (let t = steps - 1; t >= 0; t--) {
    const [dys, cs, gs, dps] = [inputs.dh, inputs.c, inputs.gates, dProjected].map((info) => host.read(info)) as [
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    for (let b = 0; b < batch; b++) {
      const gRow = (b * steps + t) * gates;
      const sRow = (b * steps + t) * units;
      for (let j = 0; j < units; j++) {
        const i = gs[gRow + j] as number;
        const f = gs[gRow + units + j] as number;
        const g = gs[gRow + 2 * units + j] as number;
        const o = gs[gRow + 3 * units + j] as number;
        const tanhC = Math.tanh(cs[sRow + j] as number);
        const cPrevious = t === 0 ? 0 : (cs[sRow - units + j] as number);
        const dh = (dys[sRow + j] as number) + (dhNext[b * units + j] as number);
        const dc = (dcNext[b * units + j] as number) + dh * o * (1 - tanhC * tanhC);
        const zRow = b * gates;
        dz[zRow + j] = dc * g * i * (1 - i);
        dz[zRow + units + j] = dc * cPrevious * f * (1 - f);
        dz[zRow + 2 * units + j] = dc * i * (1 - g * g);
        dz[zRow + 3 * units + j] = dh * tanhC * o * (1 - o);
        dcNext[b * units + j] = dc * f;
      }
      dps.set(dz.subarray(b * gates, (b + 1) * gates), gRow);
    }
    if (t > 0) dhNext = host.multiply(dz, batch, kernelT);
  }
  // h_{t-1}^T for every (clip, step), as [u, batch * steps]; zero at t = 0.
  const rows = batch * steps;
  const hs = host.read(inputs.h);
  const previousT = new Float32Array(units * rows);
  for (let b = 0; b < batch; b++) {
    for (let t = 1; t < steps; t++) {
      const from = (b * steps + t - 1) * units;
      const column = b * steps + t;
      for (let j = 0; j < units; j++) previousT[j * rows + column] = hs[from + j] as number;
    }
  }
  const dKernel = host.output([units, gates]);
  const product = host.multiply(previousT, units, { ...dProjected, shape: [rows, gates] });
  host.read(dKernel).set(product);
  host.release();
  return [dProjected, dKernel];
}

function lstmKernels(backendName: 'wasm' | 'cpu', host: (backend: never) => Host): KernelConfig[] {
  return [
    {
      kernelName: LSTM_RECURRENCE,
      backendName,
      kernelFunc: ({ inputs, backend }) => {
        const { projected, kernel } = inputs as { projected: TensorInfo; kernel: TensorInfo };
        const h = host(backend as never);
        const outputs = forward(h, projected, kernel);
        h.release();
        return outputs;
      },
    },
    {
      kernelName: LSTM_RECURRENCE_GRAD,
      backendName,
      kernelFunc: ({ inputs, backend }) => backward(host(backend as never), inputs as Parameters<typeof backward>[1]),
    },
  ];
}

/** The LSTM recurrence and its gradient on the wasm and cpu backends. */
export const lstmRecurrenceKernelConfigs: readonly KernelConfig[] = [
  ...lstmKernels('wasm', wasmHost),
  ...lstmKernels('cpu', cpuHost),
];
