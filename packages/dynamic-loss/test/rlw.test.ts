import { describe, expect, it } from 'vitest';
import { createStrategy, restoreStrategy, type WeightingStrategy } from '../src/index.js';
import { combineValue, useCpuBackend } from './helpers.js';

useCpuBackend();

function draw(strategy: WeightingStrategy, steps: number): number[][] {
  return Array.from({ length: steps }, () => {
    strategy.beforeStep();
    return Object.values(strategy.weights());
  });
}

describe('rlw (Lin et al. 2022)', () => {
  it('starts uniform and draws new weights on the simplex each step', () => {
    const strategy = createStrategy('rlw', { tasks: ['a', 'b', 'c'], seed: 7 });
    expect(Object.values(strategy.weights())).toEqual([1 / 3, 1 / 3, 1 / 3]);
    const draws = draw(strategy, 50);
    for (const weights of draws) {
      expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(Math.min(...weights)).toBeGreaterThan(0);
    }
    expect(new Set(draws.map((w) => w[0])).size).toBe(50);
    const last = draws.at(-1)!;
    expect(combineValue(strategy, [1, 2, 3])).toBeCloseTo(last[0]! + 2 * last[1]! + 3 * last[2]!, 5);
  });

  it('is reproducible from its seed, and seeds differ', () => {
    const tasks = ['a', 'b'];
    expect(draw(createStrategy('rlw', { tasks, seed: 3 }), 5)).toEqual(
      draw(createStrategy('rlw', { tasks, seed: 3 }), 5),
    );
    expect(draw(createStrategy('rlw', { tasks, seed: 3 }), 5)).not.toEqual(
      draw(createStrategy('rlw', { tasks, seed: 4 }), 5),
    );
  });

  it('continues the same sequence after a JSON round trip', () => {
    const strategy = createStrategy('rlw', { tasks: ['a', 'b'], seed: 11 });
    draw(strategy, 3);
    const resumed = restoreStrategy(JSON.parse(JSON.stringify(strategy.state())));
    expect(resumed.weights()).toEqual(strategy.weights());
    expect(draw(resumed, 4)).toEqual(draw(strategy, 4));
  });

  it('draws softmax of standard normals: log(w1 / w2) has mean 0 and variance 2', () => {
    const ratios = draw(createStrategy('rlw', { tasks: ['a', 'b'], seed: 1 }), 4000).map(([w1, w2]) =>
      Math.log(w1! / w2!),
    );
    const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    const variance = ratios.reduce((a, b) => a + (b - mean) ** 2, 0) / ratios.length;
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(variance).toBeGreaterThan(1.85);
    expect(variance).toBeLessThan(2.15);
  });

  it('draws Dirichlet(1, 1): the first weight is uniform on (0, 1)', () => {
    const first = draw(createStrategy('rlw', { tasks: ['a', 'b'], seed: 2, distribution: 'dirichlet' }), 4000).map(
      ([w]) => w!,
    );
    const mean = first.reduce((a, b) => a + b, 0) / first.length;
    const variance = first.reduce((a, b) => a + (b - mean) ** 2, 0) / first.length;
    expect(mean).toBeCloseTo(0.5, 1);
    expect(variance).toBeCloseTo(1 / 12, 2);
  });
});
