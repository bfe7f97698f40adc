import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudio, decodeVideo, decodeVideoCuts, probeMedia } from '../src/index.js';
import { encode, mediaDir, STEREO_TONES, toneFrequency } from './media-fixtures.js';

const dir = mediaDir('video');
afterAll(() => dir.remove());

/** Red left half, blue right half, 320x240, 2 s at 30 fps, with a stereo tone: an AV clip. */
const SPLIT = 'color=red:s=160x240:r=30:d=2[a];color=blue:s=160x240:r=30:d=2[b];[a][b]hstack[out0]';
/** Grey level 50 * t: each frame says when it was taken. */
const RAMP = 'nullsrc=s=64x48:r=50:d=4,format=yuv420p,geq=lum=50*T:cb=128:cr=128';
const X264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-pix_fmt', 'yuv444p'];

/** Mean of one channel over all pixels of one output frame. */
function channelMean(frames: Uint8Array, frame: number, size: number, channels: number, channel: number) {
  let sum = 0;
  const base = frame * size * size * channels;
  for (let p = 0; p < size * size; p++) sum += frames[base + p * channels + channel]!;
  return sum / (size * size);
}

let split: string;
let ramp: string;
beforeAll(async () => {
  split = await encode([SPLIT, STEREO_TONES(48000, 2)], [...X264, '-c:a', 'aac', '-shortest'], dir.path('split.mp4'));
  ramp = await encode([RAMP], [...X264], dir.path('ramp.mp4'));
});

describe('decodeVideo', () => {
  it('probes the streams of an mp4', async () => {
    const info = await probeMedia(split);
    expect(info.video).toMatchObject({ width: 320, height: 240, fps: 30, codec: 'h264' });
    expect(info.audio).toMatchObject({ sampleRate: 48000, channelCount: 2, codec: 'aac' });
    expect(info.durationSeconds).toBeCloseTo(2, 1);
  });

  it('cuts a fixed box at the target frame rate: left box red, right box blue', async () => {
    const redBox = { x: 0, y: 40, width: 160, height: 160 };
    const red = await decodeVideo(split, { fps: 25, size: 32, crop: { mode: 'fixed', box: redBox } });
    expect(red).toMatchObject({ frameCount: 50, size: 32, channels: 3, fps: 25, sourceWidth: 320, sourceHeight: 240 });
    expect(red.frames.length).toBe(50 * 32 * 32 * 3);
    expect(channelMean(red.frames, 49, 32, 3, 0)).toBeGreaterThan(240);
    expect(channelMean(red.frames, 49, 32, 3, 2)).toBeLessThan(15);
    const blue = await decodeVideo(split, {
      size: 96,
      crop: { mode: 'fixed', box: { x: 200, y: 0, width: 120, height: 120 } },
    });
    expect(blue.frames.length).toBe(50 * 96 * 96 * 3);
    expect(channelMean(blue.frames, 0, 96, 3, 2)).toBeGreaterThan(240);
    expect(channelMean(blue.frames, 0, 96, 3, 0)).toBeLessThan(15);
  });

  it('decodes only the requested range, capped, in grey', async () => {
    const video = await decodeVideo(ramp, { start: 1, end: 3, maxSeconds: 0.5, fps: 25, size: 8, color: 'grey' });
    expect(video).toMatchObject({ frameCount: 13, channels: 1, capped: true });
    expect(video.sourceSeconds).toBe(2);
    // Frame i was taken at 1 + i / 25 s, when the grey level was 50 + 2 i (video range 16-235).
    const level = (i: number) => channelMean(video.frames, i, 8, 1, 0);
    expect(level(0)).toBeCloseTo(((50 - 16) * 255) / 219, -1);
    expect(level(12) - level(0)).toBeCloseTo((24 * 255) / 219, -1);
  });

  for (const [container, codecs] of [
    ['avi', ['-c:v', 'mpeg4', '-q:v', '2', '-c:a', 'pcm_s16le']],
    ['flv', ['-c:v', 'flv1', '-q:v', '2', '-c:a', 'aac', '-ar', '44100']],
  ] as const) {
    it(`decodes ${container} video and its audio`, async () => {
      const path = await encode(
        [SPLIT, STEREO_TONES(44100, 2)],
        [...codecs, '-t', '1'],
        dir.path(`split.${container}`),
      );
      const box = { x: 170, y: 0, width: 140, height: 140 };
      const video = await decodeVideo(path, { size: 24, crop: { mode: 'fixed', box } });
      expect(Math.abs(video.frameCount - 25)).toBeLessThanOrEqual(1); // the muxer may add a frame of length
      expect(channelMean(video.frames, 10, 24, 3, 2)).toBeGreaterThan(230);
      const audio = await decodeAudio(path, { channel: 1 });
      expect(Math.abs(audio.samples.length - 16000)).toBeLessThan(800);
      expect(toneFrequency(audio.samples.subarray(1000, 15000), 16000)).toBeCloseTo(1000, -1);
      // A cut: ffmpeg cannot seek in an FLV without a keyframe index, and decodes from the start.
      const cutOptions = { start: 0.5, end: 0.9, size: 24, crop: { mode: 'fixed', box } } as const;
      const cut = await decodeVideo(path, cutOptions);
      expect(cut.frameCount).toBe((await decodeVideo(split, cutOptions)).frameCount);
      expect(channelMean(cut.frames, 5, 24, 3, 2)).toBeGreaterThan(230);
      expect((await decodeAudio(path, { channel: 1, start: 0.5, end: 0.9 })).samples.length).toBe(6400);
    });
  }

  it('decodes several cuts of one file in one run, each as decodeVideo gives it alone', async () => {
    const cuts = [
      { start: 2.3, end: 2.9 },
      { start: 0.5, end: 1.1 },
      { start: 1.02, end: 1.5, box: { x: 8, y: 8, width: 32, height: 32 } },
    ];
    const options = {
      fps: 25,
      size: 8,
      color: 'grey',
      crop: { mode: 'fixed', box: { x: 0, y: 0, width: 64, height: 48 } },
    } as const;
    const together = await decodeVideoCuts(ramp, cuts, options);
    expect(together.map((v) => v.frameCount)).toEqual([15, 15, 12]);
    for (const [i, cut] of cuts.entries()) {
      const alone = await decodeVideo(ramp, {
        ...options,
        ...cut,
        crop: { mode: 'fixed', box: cut.box ?? options.crop.box },
      });
      expect(together[i]!.frames).toEqual(alone.frames);
    }
    // The grey level says when each frame was taken: every cut starts at its own time.
    expect(channelMean(together[0]!.frames, 0, 8, 1, 0)).toBeCloseTo(((115 - 16) * 255) / 219, -1);
    expect(channelMean(together[1]!.frames, 0, 8, 1, 0)).toBeCloseTo(((25 - 16) * 255) / 219, -1);
    await expect(decodeVideoCuts(ramp, [{ start: 0 }, { start: 9 }], options)).rejects.toThrow(
      'start 9 s is past the end',
    );
    await expect(decodeVideoCuts(ramp, [{}], { crop: { mode: 'detect' } })).rejects.toThrow('use decodeVideo');
  });

  it('shrinks whole frames with the full crop', async () => {
    const video = await decodeVideo(split, { start: 0.5, end: 1, size: 16 });
    expect(video.frameCount).toBe(13);
    const row = 8 * 16 * 3;
    expect(video.frames[row]).toBeGreaterThan(240); // left edge red
    expect(video.frames[row + 15 * 3 + 2]).toBeGreaterThan(240); // right edge blue
  });

  it('rejects bad files and options, naming the file and the problem', async () => {
    const mp4 = readFileSync(split);
    const truncated = dir.path('truncated.mp4');
    writeFileSync(truncated, mp4.subarray(0, Math.floor(mp4.length / 2)));
    await expect(decodeVideo(truncated)).rejects.toThrow(`probeMedia: ${truncated}: not a readable media file`);
    const audioOnly = await encode([STEREO_TONES(16000, 0.5)], ['-c:a', 'pcm_s16le'], dir.path('audio-only.wav'));
    await expect(decodeVideo(audioOnly)).rejects.toThrow(`decodeVideo: ${audioOnly}: has no video stream (wav)`);
    const empty = dir.path('empty.mp4');
    writeFileSync(empty, '');
    await expect(decodeVideo(empty)).rejects.toThrow(`probeMedia: ${empty}: file is empty (0 bytes)`);
    await expect(decodeVideo(split, { crop: { mode: 'fixed' } })).rejects.toThrow("crop mode 'fixed' needs crop.box");
    await expect(
      decodeVideo(split, { crop: { mode: 'fixed', box: { x: 200, y: 0, width: 160, height: 100 } } }),
    ).rejects.toThrow('must be whole pixels inside the 320x240 frame');
    await expect(decodeVideo(split, { start: 5 })).rejects.toThrow('start 5 s is past the end');
    await expect(decodeVideo(split, { size: 0 })).rejects.toThrow('size must be a positive integer, got 0');
  });
});
