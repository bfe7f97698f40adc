import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { gradientKernelNames, initBackend, registerAllGradients, registerWasmKernels } from '../src/index.js';

afterEach(() => vi.restoreAllMocks());

describe('initBackend', () => {
  it('auto picks wasm here, saying why tensorflow was passed over', async () => {
    const choice = await initBackend();
    expect(choice.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.passedOver.map((p) => p.name)).toEqual(['tensorflow']);
    expect(choice.passedOver[0]?.reason).toMatch(/@tensorflow\/tfjs-node-gpu.*@tensorflow\/tfjs-node/);
  });

  it('asking for tensorflow without tfjs-node fails with how to install it', async () => {
    await expect(initBackend({ backend: 'tensorflow' })).rejects.toThrow(/pnpm add @tensorflow\/tfjs-node/);
  });

  it('switches to cpu and back to wasm on request', async () => {
    expect((await initBackend({ backend: 'cpu' })).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect((await initBackend({ backend: 'wasm' })).name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects an unknown backend listing the valid ones', async () => {
    await expect(initBackend({ backend: 'webgl' as never })).rejects.toThrow(/valid: auto, tensorflow, wasm, cpu/);
  });
});

describe('gradient registration', () => {
  it('has a gradient for every kernel tfjs-core differentiates, registered once', () => {
    const names = gradientKernelNames();
    expect(names.length).toBeGreaterThan(100);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(tf.getGradient(name), name).toBeDefined();
    const warn = vi.spyOn(console, 'warn');
    expect(registerAllGradients()).toBe(0);
    expect(registerWasmKernels()).toEqual([]);
    expect(warn).not.toHaveBeenCalled();
  });
});
