import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { IM2COL_BLOCK_FLOATS_FLAG, initBackend, WASM_REPLACED_KERNELS, WASM_TRAINING_KERNELS } from '../src/index.js';
import { onBackends, randomInt, randomValues, relativeError, seededRandom } from './helpers.js';

const TOLERANCE = 1e-4;

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

function expectSameOnWasmAndCpu(results: Awaited<ReturnType<typeof onBackends>>, label: string) {
  const cpu = results.cpu ?? [];
  const wasm = results.wasm ?? [];
  expect(wasm.length, label).toBe(cpu.length);
  cpu.forEach((expected, i) => {
    expect(wasm[i]?.shape, label).toEqual(expected.shape);
    expect(relativeError(wasm[i]?.values ?? [], expected.values), label).toBeLessThanOrEqual(TOLERANCE);
  });
}

interface ConvCase {
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  kernel: [number, number];
  stride: [number, number];
  dilation: [number, number];
  pad: 'same' | 'valid';
  channelsOut: number;
}

function randomConvCase(rand: () => number, withDilation: boolean): ConvCase {
  const stride: [number, number] = [randomInt(rand, 1, 3), randomInt(rand, 1, 3)];
  // tfjs requires stride 1 wherever the dilation exceeds 1.
  const dilation: [number, number] =
    withDilation && stride[0] === 1 && stride[1] === 1 ? [randomInt(rand, 1, 3), randomInt(rand, 1, 3)] : [1, 1];
  const kernel: [number, number] = [randomInt(rand, 1, 5), randomInt(rand, 1, 5)];
  const reach = (k: number, d: number) => (k - 1) * d + 1;
  return {
    batch: randomInt(rand, 1, 3),
    height: randomInt(rand, reach(kernel[0], dilation[0]), 13),
    width: randomInt(rand, reach(kernel[1], dilation[1]), 13),
    inChannels: randomInt(rand, 1, 5),
    kernel,
    stride,
    dilation,
    pad: rand() < 0.5 ? 'same' : 'valid',
    channelsOut: randomInt(rand, 1, 4),
  };
}

function convOutputShape(c: ConvCase, outChannels: number, depthwise: boolean): number[] {
  const info = tf.backend_util.computeConv2DInfo(
    [c.batch, c.height, c.width, c.inChannels],
    [c.kernel[0], c.kernel[1], c.inChannels, depthwise ? c.channelsOut : outChannels],
    c.stride,
    c.dilation,
    c.pad,
    undefined,
    depthwise,
  );
  return info.outShape;
}

describe('wasm training kernels', () => {
  it('are registered for wasm', () => {
    expect(WASM_TRAINING_KERNELS).toEqual(
      expect.arrayContaining([
        'Conv2DBackpropFilter',
        'DepthwiseConv2dNativeBackpropFilter',
        'DepthwiseConv2dNativeBackpropInput',
        'UnsortedSegmentSum',
      ]),
    );
    for (const name of WASM_TRAINING_KERNELS) expect(tf.getKernel(name, 'wasm'), name).toBeDefined();
  });

  it('Conv2DBackpropFilter matches cpu on random shapes', async () => {
    const rand = seededRandom(1);
    for (let n = 0; n < 48; n++) {
      // Every 6th case 1x1 at stride 1, which takes the pointwise (matmul) path.
      const c =
        n % 6 === 5
          ? ({ ...randomConvCase(rand, false), kernel: [1, 1], stride: [1, 1] } as ConvCase)
          : randomConvCase(rand, false);
      const filterShape: [number, number, number, number] = [c.kernel[0]!, c.kernel[1]!, c.inChannels, c.channelsOut];
      const dyShape = convOutputShape(c, c.channelsOut, false);
      const x = randomValues(rand, c.batch * c.height * c.width * c.inChannels);
      const dy = randomValues(rand, dyShape);
      const results = await onBackends(
        ['cpu', 'wasm'],
        () =>
          tf
            .engine()
            .runKernel(
              'Conv2DBackpropFilter',
              { x: tf.tensor4d(x, [c.batch, c.height, c.width, c.inChannels]), dy: tf.tensor(dy, dyShape) },
              { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape },
            ) as tf.Tensor,
      );
      expectSameOnWasmAndCpu(results, JSON.stringify(c));
    }
  });

  it('Conv2DBackpropFilter computes in bounded im2col blocks and still matches cpu', async () => {
    // A 2-row filter of 2 x 2000 taps over 2 x 1100 positions is past the native path's
    // limit and is not 1-D, so this takes im2col.
    const rand = seededRandom(2);
    const [height, width, inChannels, kernel, outChannels] = [2, 1100, 1, [2, 2000], 2];
    const x = randomValues(rand, height * width * inChannels);
    const dy = randomValues(rand, height * width * outChannels);
    const run = () =>
      tf.engine().runKernel(
        'Conv2DBackpropFilter',
        {
          x: tf.tensor4d(x, [1, height, width, inChannels]),
          dy: tf.tensor4d(dy, [1, height, width, outChannels]),
        },
        { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', filterShape: [...kernel, inChannels, outChannels] },
      ) as tf.Tensor;
    const whole = await onBackends(['cpu', 'wasm'], run);
    const defaultBlock = tf.env().getNumber(IM2COL_BLOCK_FLOATS_FLAG);
    tf.env().set(IM2COL_BLOCK_FLOATS_FLAG, 97 * kernel[0]! * kernel[1]! * inChannels);
    try {
      const blocked = await onBackends(['wasm'], run);
      expectSameOnWasmAndCpu({ cpu: whole.cpu ?? [], wasm: blocked.wasm ?? [] }, 'conv2d in blocks of 97 rows');
    } finally {
      tf.env().set(IM2COL_BLOCK_FLOATS_FLAG, defaultBlock);
    }
    expectSameOnWasmAndCpu(whole, 'conv2d in one block');
  });

  it('long 1-D convolutions (past the native limit) run in blocks and match cpu: output, dx and dW', async () => {
    // 2048 taps x 2100 positions, 4.3 Mi, is past MAX_NATIVE_TAPS (4 Mi): forward, input
    // and filter gradients all go block by block; the bias/ReLU version through FusedConv2D.
    const rand = seededRandom(8);
    const cases = [
      { batch: 2, width: 4147, kernel: 2048, stride: 1, dilation: 1, pad: 'valid' as const, fused: false },
      { batch: 1, width: 4200, kernel: 2048, stride: 2, dilation: 1, pad: 'same' as const, fused: true },
      { batch: 1, width: 4400, kernel: 1500, stride: 1, dilation: 2, pad: 'same' as const, fused: true },
    ];
    for (const c of cases) {
      const [inChannels, outChannels] = [1, 2];
      const x = randomValues(rand, c.batch * c.width * inChannels);
      const w = randomValues(rand, c.kernel * inChannels * outChannels).map((v) => v / 30);
      const bias = randomValues(rand, outChannels);
      const label = JSON.stringify(c);
      const conv = (input: tf.Tensor4D, filter: tf.Tensor4D) =>
        c.fused
          ? tf.fused.conv2d({
              x: input,
              filter,
              strides: [1, c.stride],
              pad: c.pad,
              dilations: [1, c.dilation],
              bias: tf.tensor1d(bias),
              activation: 'relu',
            })
          : tf.conv2d(input, filter, [1, c.stride], c.pad, 'NHWC', [1, c.dilation]);
      const run = () => {
        const input = tf.tensor4d(x, [c.batch, 1, c.width, inChannels]);
        const filter = tf.tensor4d(w, [1, c.kernel, inChannels, outChannels]);
        const y = conv(input, filter);
        if (c.dilation > 1) return [y];
        const weights = tf.randomNormal(y.shape, 0, 1, 'float32', 3);
        const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(conv(a as tf.Tensor4D, b as tf.Tensor4D), weights)),
        )([input, filter]);
        return [y, ...grads];
      };
      expectSameOnWasmAndCpu(await onBackends(['cpu', 'wasm'], run), label);
    }
  });

  it('DepthwiseConv2dNativeBackpropFilter and BackpropInput match cpu on random shapes', async () => {
    const rand = seededRandom(3);
    for (let n = 0; n < 40; n++) {
      const c = randomConvCase(rand, true);
      const multiplier = randomInt(rand, 1, 3);
      const filterShape: [number, number, number, number] = [c.kernel[0], c.kernel[1], c.inChannels, multiplier];
      const inputShape: [number, number, number, number] = [c.batch, c.height, c.width, c.inChannels];
      const dyShape = convOutputShape({ ...c, channelsOut: multiplier }, multiplier, true);
      const x = randomValues(rand, c.batch * c.height * c.width * c.inChannels);
      const w = randomValues(rand, filterShape);
      const dy = randomValues(rand, dyShape);
      const attrs = { strides: c.stride, dilations: c.dilation, pad: c.pad };
      const wasm = await onBackends(['wasm'], () => [
        tf
          .engine()
          .runKernel(
            'DepthwiseConv2dNativeBackpropFilter',
            { x: tf.tensor4d(x, inputShape), dy: tf.tensor(dy, dyShape) },
            { ...attrs, filterShape },
          ) as tf.Tensor,
        tf
          .engine()
          .runKernel(
            'DepthwiseConv2dNativeBackpropInput',
            { dy: tf.tensor(dy, dyShape), filter: tf.tensor4d(w, filterShape) },
            { ...attrs, inputShape },
          ) as tf.Tensor,
      ]);
      // tfjs's cpu kernels ignore dilations, so the reference runs at dilation 1 with the
      // equivalent zero-filled filter of size (k - 1) * d + 1.
      const [dh, dw] = c.dilation;
      const wideShape: [number, number, number, number] = [
        (c.kernel[0] - 1) * dh + 1,
        (c.kernel[1] - 1) * dw + 1,
        c.inChannels,
        multiplier,
      ];
      const taps = tf.tensor1d(
        [...Array(c.kernel[0] * c.kernel[1]).keys()].map(
          (k) => Math.floor(k / c.kernel[1]) * dh * wideShape[1] + (k % c.kernel[1]) * dw,
        ),
        'int32',
      );
      const cpu = await onBackends(['cpu'], () => {
        const taps3d = tf.reshape(tf.tensor4d(w, filterShape), [-1, c.inChannels, multiplier]);
        const wide = tf.reshape(tf.unsortedSegmentSum(taps3d, taps, wideShape[0] * wideShape[1]), wideShape);
        const wideGrad = tf
          .engine()
          .runKernel(
            'DepthwiseConv2dNativeBackpropFilter',
            { x: tf.tensor4d(x, inputShape), dy: tf.tensor(dy, dyShape) },
            { strides: c.stride, dilations: 1, pad: c.pad, filterShape: wideShape },
          ) as tf.Tensor;
        return [
          tf.reshape(tf.gather(tf.reshape(wideGrad, [-1, c.inChannels, multiplier]), taps), filterShape),
          tf
            .engine()
            .runKernel(
              'DepthwiseConv2dNativeBackpropInput',
              { dy: tf.tensor(dy, dyShape), filter: wide },
              { strides: c.stride, dilations: 1, pad: c.pad, inputShape },
            ) as tf.Tensor,
        ];
      });
      taps.dispose();
      expectSameOnWasmAndCpu({ cpu: cpu.cpu ?? [], wasm: wasm.wasm ?? [] }, JSON.stringify({ ...c, multiplier }));
    }
  });

  it("MaxPoolGrad (replaced) and the backend's own AvgPoolGrad and Conv2DBackpropInput match cpu", async () => {
    expect(WASM_REPLACED_KERNELS).toContain('MaxPoolGrad');
    const rand = seededRandom(5);
    for (let n = 0; n < 30; n++) {
      const c = randomConvCase(rand, false);
      const inputShape: [number, number, number, number] = [c.batch, c.height, c.width, c.inChannels];
      const poolShape = tf.backend_util.computePool2DInfo(inputShape, c.kernel, c.stride, 1, c.pad).outShape;
      const filterShape: [number, number, number, number] = [c.kernel[0], c.kernel[1], c.inChannels, c.channelsOut];
      const dyShape = convOutputShape(c, c.channelsOut, false);
      // Values in [-1, 1]: windows whose maximum is negative are what wasm's own kernel gets wrong.
      const x = randomValues(rand, inputShape);
      const dPool = randomValues(rand, poolShape);
      const w = randomValues(rand, filterShape);
      const dy = randomValues(rand, dyShape);
      const poolAttrs = { filterSize: c.kernel, strides: c.stride, pad: c.pad };
      const results = await onBackends(['cpu', 'wasm'], () => {
        const input = tf.tensor4d(x, inputShape);
        const output = tf.maxPool(input, c.kernel, c.stride, c.pad);
        const dyPool = tf.tensor(dPool, poolShape);
        return [
          tf.engine().runKernel('MaxPoolGrad', { dy: dyPool, input, output }, poolAttrs) as tf.Tensor,
          tf.engine().runKernel('AvgPoolGrad', { dy: dyPool, input }, poolAttrs) as tf.Tensor,
          tf
            .engine()
            .runKernel(
              'Conv2DBackpropInput',
              { dy: tf.tensor(dy, dyShape), filter: tf.tensor4d(w, filterShape) },
              { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', inputShape },
            ) as tf.Tensor,
        ];
      });
      expectSameOnWasmAndCpu(results, JSON.stringify(c));
    }
    // Explicit padding, as the paper preset's stride-2 convs pad (k - 1) / 2 on every side.
    for (const [size, kernel, stride, pad] of [
      [96, 7, 2, 3],
      [12, 3, 2, 1],
      [9, 1, 2, 0],
      [10, 4, 3, 2],
    ] as const) {
      const inputShape: [number, number, number, number] = [2, size, size, 3];
      const filterShape: [number, number, number, number] = [kernel, kernel, 3, 4];
      const dyShape = tf.backend_util.computeConv2DInfo(inputShape, filterShape, stride, 1, pad).outShape;
      const w = randomValues(rand, filterShape);
      const dy = randomValues(rand, dyShape);
      const results = await onBackends(
        ['cpu', 'wasm'],
        () =>
          tf
            .engine()
            .runKernel(
              'Conv2DBackpropInput',
              { dy: tf.tensor(dy, dyShape), filter: tf.tensor4d(w, filterShape) },
              { strides: stride, pad, dataFormat: 'NHWC', inputShape },
            ) as tf.Tensor,
      );
      expectSameOnWasmAndCpu(results, JSON.stringify({ size, kernel, stride, pad }));
    }
  });

  it('UnsortedSegmentSum matches cpu, drops out-of-range ids, and keeps int32', async () => {
    const rand = seededRandom(4);
    for (let n = 0; n < 20; n++) {
      const rows = randomInt(rand, 1, 9);
      const inner = [randomInt(rand, 1, 4), randomInt(rand, 1, 3)];
      const numSegments = randomInt(rand, 1, 6);
      const ids = Int32Array.from({ length: rows }, () => randomInt(rand, -1, numSegments));
      const x = randomValues(rand, rows * inner[0]! * inner[1]!);
      const results = await onBackends(['cpu', 'wasm'], () =>
        tf.unsortedSegmentSum(tf.tensor3d(x, [rows, inner[0]!, inner[1]!]), tf.tensor1d(ids, 'int32'), numSegments),
      );
      expectSameOnWasmAndCpu(results, `rows=${rows} segments=${numSegments} ids=${ids}`);
    }
    await tf.setBackend('wasm');
    const summed = tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3, 4], 'int32'), tf.tensor1d([0, 1, 0, 5], 'int32'), 2);
    expect(summed.dtype).toBe('int32');
    expect(Array.from(summed.dataSync())).toEqual([4, 2]);
    summed.dispose();
  });

  it('Sum and Mean (replaced) match cpu over any axes, keepDims or not, float32 and int32', async () => {
    expect(WASM_REPLACED_KERNELS).toEqual(expect.arrayContaining(['Sum', 'Mean']));
    const rand = seededRandom(6);
    for (let n = 0; n < 40; n++) {
      const rank = randomInt(rand, 1, 4);
      const shape = Array.from({ length: rank }, () => randomInt(rand, 1, 5));
      const axes = [...shape.keys()].filter(() => rand() < 0.5);
      const axis = axes.length === 0 ? undefined : axes;
      const keepDims = rand() < 0.5;
      const x = randomValues(rand, shape);
      const ints = Int32Array.from(x, (v) => Math.round(v * 10));
      const results = await onBackends(['cpu', 'wasm'], () => [
        tf.sum(tf.tensor(x, shape), axis, keepDims),
        tf.mean(tf.tensor(x, shape), axis, keepDims),
        tf.sum(tf.tensor(ints, shape, 'int32'), axis, keepDims),
      ]);
      expectSameOnWasmAndCpu(results, JSON.stringify({ shape, axis, keepDims }));
    }
  });

  it('GatherV2 (replaced) matches cpu on any axis, for float32, int32 and bool, and rejects bad indices', async () => {
    expect(WASM_REPLACED_KERNELS).toContain('GatherV2');
    const rand = seededRandom(7);
    for (let n = 0; n < 30; n++) {
      const rank = randomInt(rand, 1, 4);
      const shape = Array.from({ length: rank }, () => randomInt(rand, 1, 5));
      const axis = randomInt(rand, 0, rank - 1);
      const indexShape = rand() < 0.5 ? [randomInt(rand, 0, 6)] : [2, randomInt(rand, 1, 3)];
      const ids = Int32Array.from({ length: indexShape.reduce((a, b) => a * b, 1) }, () =>
        randomInt(rand, 0, shape[axis]! - 1),
      );
      const x = randomValues(rand, shape);
      const results = await onBackends(['cpu', 'wasm'], () => {
        const indices = tf.tensor(ids, indexShape, 'int32');
        return [
          tf.gather(tf.tensor(x, shape), indices, axis),
          tf.gather(
            tf.tensor(
              Int32Array.from(x, (v) => Math.round(v * 9)),
              shape,
              'int32',
            ),
            indices,
            axis,
          ),
          tf.cast(tf.gather(tf.greater(tf.tensor(x, shape), 0), indices, axis), 'float32'),
        ];
      });
      expectSameOnWasmAndCpu(results, JSON.stringify({ shape, axis, indexShape }));
    }
    await tf.setBackend('wasm');
    const x = tf.zeros([3, 2]);
    const bad = tf.tensor1d([0, 3], 'int32');
    expect(() => tf.gather(x, bad)).toThrow(/index value 3 is not in \[0, 2\]/);
    tf.dispose([x, bad]);
  });

  it('Identity (replaced) shares data: a clone costs no memory and outlives its source', async () => {
    expect(WASM_REPLACED_KERNELS).toContain('Identity');
    await tf.setBackend('wasm');
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const copy = tf.clone(x);
    expect(copy.dataId).toBe(x.dataId);
    x.dispose();
    expect(Array.from(copy.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    // A gradient that saves its input through the tape's clones still sees the right values.
    const y = tf.tensor1d([1, -2, 3]);
    const dx = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(v, v)))(y);
    expect(Array.from(dx.dataSync())).toEqual([2, -4, 6]);
    tf.dispose([copy, y, dx]);
  });

  it('rejects what the kernels cannot do with a clear message', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 2, 4, 4]);
    const dy = tf.zeros([1, 2, 4, 4]);
    expect(() =>
      tf
        .engine()
        .runKernel(
          'Conv2DBackpropFilter',
          { x, dy },
          { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [1, 1, 2, 2] },
        ),
    ).toThrow(/NHWC only/);
    const ids = tf.tensor1d([0, 1], 'int32');
    expect(() =>
      tf.engine().runKernel('UnsortedSegmentSum', { x: tf.zeros([3]), segmentIds: ids }, { numSegments: 2 }),
    ).toThrow(/must be a prefix/);
    tf.dispose([x, dy, ids]);
  });
});
