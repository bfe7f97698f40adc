import { describe, expect, it } from 'vitest';
import { hashSeed, type RandomState, SeededRandom } from '../src/index.js';

const draws = (random: SeededRandom, n: number) => Array.from({ length: n }, () => random.next());

describe('SeededRandom', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    expect(draws(new SeededRandom(7), 50)).toEqual(draws(new SeededRandom(7), 50));
    const other = draws(new SeededRandom(8), 50);
    const same = draws(new SeededRandom(7), 50).filter((value, i) => value === other[i]);
    expect(same).toHaveLength(0);
  });

  it('draws uniforms in (0, 1) with the moments of a uniform, and normals with mean 0 and variance 1', () => {
    const random = new SeededRandom(1);
    const uniforms = draws(random, 20_000);
    expect(Math.min(...uniforms)).toBeGreaterThan(0);
    expect(Math.max(...uniforms)).toBeLessThan(1);
    const mean = uniforms.reduce((a, b) => a + b, 0) / uniforms.length;
    expect(mean).toBeCloseTo(0.5, 2);
    const normals = Array.from({ length: 20_000 }, () => random.normal());
    const normalMean = normals.reduce((a, b) => a + b, 0) / normals.length;
    const variance = normals.reduce((a, b) => a + (b - normalMean) ** 2, 0) / normals.length;
    expect(Math.abs(normalMean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.04);
    const ranged = Array.from({ length: 1000 }, () => random.uniform(-3, 5));
    expect(Math.min(...ranged)).toBeGreaterThan(-3);
    expect(Math.max(...ranged)).toBeLessThan(5);
  });

  it('int(n) hits every value of [0, n) about equally often and refuses a bad n', () => {
    const random = new SeededRandom(3);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 6000; i++) counts[random.int(6)]++;
    for (const count of counts) expect(Math.abs(count - 1000)).toBeLessThan(120);
    expect(() => random.int(0)).toThrow(/positive integer, got 0/);
    expect(() => random.int(2.5)).toThrow(/positive integer/);
  });

  it('shuffles into a permutation, leaves its input alone, and puts each item at each place about equally often', () => {
    const random = new SeededRandom(11);
    const items = ['a', 'b', 'c', 'd'] as const;
    const placeCounts = items.map(() => new Array(items.length).fill(0));
    for (let trial = 0; trial < 4000; trial++) {
      const shuffled = random.shuffle(items);
      expect([...shuffled].sort()).toEqual([...items]);
      shuffled.forEach((item, place) => {
        placeCounts[items.indexOf(item)]![place]++;
      });
    }
    expect(items).toEqual(['a', 'b', 'c', 'd']);
    for (const row of placeCounts) for (const count of row) expect(Math.abs(count - 1000)).toBeLessThan(110);
    expect(random.shuffle([])).toEqual([]);
  });

  it('continues the exact sequence from a state saved as JSON mid-run (a pending normal included)', () => {
    const ids = Array.from({ length: 30 }, (_, i) => `clip${i}`);
    const random = new SeededRandom(42);
    random.shuffle(ids); // epoch 1
    random.normal(); // leaves the pair's second normal pending
    const saved = JSON.stringify(random.state());
    const original = [random.normal(), random.shuffle(ids), random.shuffle(ids), random.uniform(2, 3), random.int(9)];

    const restored = SeededRandom.fromState(JSON.parse(saved) as RandomState);
    expect([
      restored.normal(),
      restored.shuffle(ids),
      restored.shuffle(ids),
      restored.uniform(2, 3),
      restored.int(9),
    ]).toEqual(original);
    // restore() rewinds a live generator too.
    random.restore(JSON.parse(saved) as RandomState);
    expect(random.normal()).toBe(original[0]);
    expect(JSON.parse(saved).spare).not.toBeNull();
  });

  it('refuses a state or seed it cannot continue from', () => {
    const random = new SeededRandom(0);
    expect(() => random.restore({ position: -1, spare: null })).toThrow(/unsigned 32-bit integer, got -1/);
    expect(() => random.restore({ position: 1.5, spare: null })).toThrow(/unsigned 32-bit integer/);
    expect(() => random.restore({ position: 1, spare: Number.NaN })).toThrow(/spare must be a finite number or null/);
    expect(() => new SeededRandom(Number.NaN)).toThrow(/seed must be a finite number/);
  });
});

describe('hashSeed', () => {
  it('gives each name its own stream and is stable', () => {
    expect(hashSeed(1, 'audio/conv1/kernel')).toBe(hashSeed(1, 'audio/conv1/kernel'));
    expect(hashSeed(1, 'audio/conv1/kernel')).not.toBe(hashSeed(1, 'audio/conv2/kernel'));
    expect(hashSeed(1, 'audio/conv1/kernel')).not.toBe(hashSeed(2, 'audio/conv1/kernel'));
    expect(Number.isInteger(hashSeed(5, 'x')) && hashSeed(5, 'x') >= 0 && hashSeed(5, 'x') <= 0xffffffff).toBe(true);
  });
});
