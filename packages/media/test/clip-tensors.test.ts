import { initBackend } from '@mtl/backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clipToTensors, cropResize, type PreprocessedClip, preprocessClip } from '../src/index.js';
import { encode, mediaDir, STEREO_TONES } from './media-fixtures.js';

const dir = mediaDir('tensors');
afterAll(() => dir.remove());

let clip: PreprocessedClip;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  const av = await encode(
    ['color=c=0x4080c0:s=64x48:r=25:d=0.5', STEREO_TONES(16000, 0.6)],
    ['-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-pix_fmt', 'yuv444p', '-c:a', 'pcm_s16le'],
    dir.path('av.mkv'),
  );
  clip = await preprocessClip(
    { id: 'c', videoPath: av, channel: 0 },
    { video: { size: 16, color: 'rgb', crop: { mode: 'full' } } },
  );
});

describe('clipToTensors', () => {
  it('makes aligned [frames, 640] audio and [frames, N, N, 3] video in [0, 1], and leaks nothing', () => {
    const before = tf.memory().numTensors;
    for (let step = 0; step < 3; step++) {
      const tensors = clipToTensors(clip, { normalization: { mode: 'utterance' } });
      const frames = clip.frameCount; // 0.5 s of video at 25 fps: 12 or 13 frames, as ffmpeg rounds
      expect([12, 13]).toContain(frames);
      expect(tensors.frameCount).toBe(frames);
      expect(tensors.audio!.shape).toEqual([frames, 640]);
      expect(tensors.video!.shape).toEqual([frames, 16, 16, 3]);
      const pixel = tf.tidy(() => tf.slice(tensors.video!, [5, 8, 8, 0], [1, 1, 1, 3]).dataSync());
      // The source colour 0x4080c0, within the rounding of its trip through YUV.
      const rgb = Array.from(pixel, (v: number) => v * 255);
      for (const [c, want] of [0x40, 0x80, 0xc0].entries()) expect(Math.abs(rgb[c]! - want)).toBeLessThan(2.5);
      const moments = tf.tidy(() => tf.moments(tensors.audio!));
      expect(moments.mean.dataSync()[0]).toBeCloseTo(0, 5);
      expect(moments.variance.dataSync()[0]).toBeCloseTo(1, 4);
      tf.dispose([tensors.audio!, tensors.video!, moments.mean, moments.variance]);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('rejects a clip whose arrays do not match its frame count', () => {
    const frames = clip.frameCount;
    expect(() => clipToTensors({ ...clip, frameCount: frames + 1 })).toThrow(
      `clipToTensors: clip c: ${frames * 640} audio samples are not ${frames + 1} x 640`,
    );
    expect(() => clipToTensors({ ...clip, audio: undefined, video: clip.video!.subarray(1) })).toThrow(
      `clipToTensors: clip c: ${frames * 768 - 1} video bytes are not ${frames} x 16 x 16 x 3`,
    );
  });
});

describe('cropResize', () => {
  it('averages when shrinking (no aliasing) and reads outside the frame as black', () => {
    // A one-pixel checkerboard: a naive sampler returns black or white, averaging returns grey.
    const size = 64;
    const board = new Uint8Array(size * size * 3).map((_, i) =>
      ((((i / 3) | 0) % size) + (((i / 3 / size) | 0) % 2)) % 2 ? 255 : 0,
    );
    const out = new Uint8Array(8 * 8 * 3);
    cropResize(board, size, size, { x: 0, y: 0, width: size, height: size }, 8, 'rgb', out);
    for (const v of out) expect(Math.abs(v - 127.5)).toBeLessThan(4);
    const white = new Uint8Array(size * size * 3).fill(255);
    const grey = new Uint8Array(4 * 4);
    cropResize(white, size, size, { x: -size, y: 0, width: 2 * size, height: size }, 4, 'grey', grey);
    expect(Array.from(grey.subarray(0, 4))).toEqual([0, 0, 255, 255]);
    expect(() =>
      cropResize(white.subarray(1), size, size, { x: 0, y: 0, width: 1, height: 1 }, 4, 'grey', grey),
    ).toThrow('cropResize: frame holds 12287 bytes; 64x64 RGB needs 12288');
  });
});
