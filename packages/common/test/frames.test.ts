import { describe, expect, it } from 'vitest';
import { samplesPerFrame } from '../src/index.js';

describe('samplesPerFrame', () => {
  it('is sampleRate / fps when that is whole, and refuses pairs that would drift', () => {
    expect(samplesPerFrame(16_000, 25)).toBe(640);
    expect(samplesPerFrame(16_000, 10)).toBe(1600);
    expect(() => samplesPerFrame(16_000, 30)).toThrow(/16000 \/ fps 30 = 533.333 is not a whole number/);
    expect(() => samplesPerFrame(16_000, 0)).toThrow(/not a whole number/);
  });
});
