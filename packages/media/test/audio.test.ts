import { copyFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AudioStatsAccumulator,
  audioFrameCount,
  decodeAudio,
  fitToFrames,
  normalizeAudio,
  resample,
  samplesPerFrame,
} from '../src/index.js';
import { encode, left, maxError, mediaDir, right, rmsDb, STEREO_TONES, toneFrequency } from './media-fixtures.js';

const dir = mediaDir('audio');
afterAll(() => dir.remove());

const tone = (hz: number, rate: number) => `sine=frequency=${hz}:sample_rate=${rate}:duration=1`;

describe('resampling through decodeAudio', () => {
  it('keeps a 1 kHz tone at 1 kHz going from 48 kHz to 16 kHz, at full level', async () => {
    const path = await encode([tone(1000, 48000)], ['-c:a', 'pcm_s16le'], dir.path('1k-48k.wav'));
    const audio = await decodeAudio(path, { sampleRate: 16000 });
    expect(audio).toMatchObject({ sampleRate: 16000, sourceSampleRate: 48000 });
    expect(audio.samples.length).toBe(16000);
    expect(toneFrequency(audio.samples.subarray(800, 15200), 16000)).toBeCloseTo(1000, -1);
    // ffmpeg's sine source has amplitude 1/8: -21.1 dB RMS.
    expect(rmsDb(audio.samples, 800)).toBeCloseTo(20 * Math.log10(0.125 / Math.SQRT2), 0);
  });

  for (const rate of [48000, 44100]) {
    it(`attenuates a 12 kHz tone at ${rate} Hz by at least 40 dB (it would alias to ${16000 - (12000 % 16000)} Hz)`, async () => {
      const path = await encode([tone(12000, rate)], ['-c:a', 'pcm_f32le'], dir.path(`12k-${rate}.wav`));
      const before = rmsDb((await decodeAudio(path, { sampleRate: rate })).samples, 800);
      const after = rmsDb((await decodeAudio(path, { sampleRate: 16000 })).samples, 800);
      expect(before - after).toBeGreaterThan(40);
    });
  }

  it('upsamples 8 kHz to 16 kHz without changing the waveform', () => {
    const input = new Float32Array(8000).map((_, i) => Math.sin((2 * Math.PI * 300 * i) / 8000));
    const output = resample(input, 8000, 16000);
    expect(output.length).toBe(16000);
    expect(maxError(output.subarray(400, 15600), 16000, (t) => Math.sin(2 * Math.PI * 300 * t), 400)).toBeLessThan(
      1e-3,
    );
    expect(resample(input, 8000, 8000)).toEqual(input);
    expect(() => resample(input, 8000, 0)).toThrow('resample: toRate must be a positive integer, got 0');
  });
});

describe('decodeAudio', () => {
  it('takes one channel from a stereo mp4 (AAC) and cuts the requested range', async () => {
    const path = await encode([STEREO_TONES(48000, 2)], ['-c:a', 'aac', '-b:a', '192k'], dir.path('stereo.mp4'));
    const whole = await decodeAudio(path, { channel: 1 });
    expect(whole.sourceChannelCount).toBe(2);
    expect(Math.abs(whole.samples.length - 32000)).toBeLessThan(1200); // AAC priming/padding
    const cut = await decodeAudio(path, { channel: 0, start: 0.5, end: 1.25 });
    expect(cut.samples.length).toBe(12000);
    expect(cut.sourceSeconds).toBeCloseTo(0.75, 6);
    expect(toneFrequency(cut.samples.subarray(400, 11600), 16000)).toBeCloseTo(440, -1);
    expect(toneFrequency((await decodeAudio(path, { channel: 1, start: 0.5, end: 1.25 })).samples, 16000)).toBeCloseTo(
      1000,
      -1,
    );
  });

  it('caps the duration and keeps the true length', async () => {
    const path = await encode([STEREO_TONES(16000, 2)], ['-c:a', 'pcm_s16le'], dir.path('long.wav'));
    const audio = await decodeAudio(path, { channel: 0, start: 0.25, maxSeconds: 1 });
    expect(audio.samples.length).toBe(16000);
    expect(audio.sourceSeconds).toBe(1.75);
    expect(audio.capped).toBe(true);
    expect(maxError(audio.samples.subarray(100, 15900), 16000, left, 4100)).toBeLessThan(2e-3);
    const notCapped = await decodeAudio(path, { channel: 1, maxSeconds: 6 });
    expect(notCapped).toMatchObject({ capped: false, sourceSeconds: 2 });
    expect(maxError(notCapped.samples.subarray(100, 31900), 16000, right, 100)).toBeLessThan(1e-4);
  });

  it('goes by content, not extension: WAV named .mp4 and MP4 named .wav both decode', async () => {
    const wav = await encode([STEREO_TONES(16000, 0.5)], ['-c:a', 'pcm_s16le'], dir.path('real-wav.wav'));
    copyFileSync(wav, dir.path('wav-named.mp4'));
    expect((await decodeAudio(dir.path('wav-named.mp4'), { channel: 0 })).samples.length).toBe(8000);
    const mp4 = await encode([STEREO_TONES(16000, 0.5)], ['-c:a', 'aac'], dir.path('real-mp4.mp4'));
    copyFileSync(mp4, dir.path('mp4-named.wav'));
    const decoded = await decodeAudio(dir.path('mp4-named.wav'), { channel: 0 });
    expect(Math.abs(decoded.samples.length - 8000)).toBeLessThan(1200);
  });

  it('hands WAV encodings it does not parse (A-law) to ffmpeg', async () => {
    const alaw = await encode([STEREO_TONES(8000, 0.5)], ['-c:a', 'pcm_alaw'], dir.path('alaw.wav'));
    const audio = await decodeAudio(alaw, { channel: 1, sampleRate: 8000 });
    expect(audio.samples.length).toBe(4000);
    expect(maxError(audio.samples, 8000, right)).toBeLessThan(0.01);
  });

  it('rejects bad files naming the file and the problem', async () => {
    const empty = dir.path('empty.wav');
    writeFileSync(empty, '');
    await expect(decodeAudio(empty)).rejects.toThrow(`decodeAudio: ${empty}: file is empty (0 bytes)`);
    const garbage = dir.path('garbage.wav');
    writeFileSync(garbage, Buffer.from('this is not a media file at all, just text'.repeat(20)));
    await expect(decodeAudio(garbage)).rejects.toThrow(`probeMedia: ${garbage}: not a readable media file`);
    const silentVideo = await encode(
      ['testsrc=size=64x48:rate=25:duration=0.5'],
      ['-c:v', 'libx264'],
      dir.path('v.mp4'),
    );
    await expect(decodeAudio(silentVideo)).rejects.toThrow(`decodeAudio: ${silentVideo}: has no audio stream`);
    await expect(decodeAudio(dir.path('missing.wav'))).rejects.toThrow('cannot read (ENOENT)');
    const wav = await encode([STEREO_TONES(16000, 0.5)], ['-c:a', 'pcm_s16le'], dir.path('short.wav'));
    await expect(decodeAudio(wav, { start: 2 })).rejects.toThrow('start 2 s is past the end (0.5 s)');
    await expect(decodeAudio(wav, { start: 0.3, end: 0.2 })).rejects.toThrow(
      'end must be after start (0.3 s), got 0.2',
    );
    await expect(decodeAudio(wav, { channel: 5 })).rejects.toThrow(`${wav}: channel 5 does not exist (the file has 2)`);
  });
});

describe('normalisation', () => {
  it('accumulates the global mean and std over clips exactly as over their concatenation', () => {
    const a = new Float32Array(1000).map((_, i) => Math.sin(i) + 0.3);
    const b = new Float32Array(333).map((_, i) => 2 * Math.cos(i * 0.7) - 0.1);
    const stats = new AudioStatsAccumulator().add(a).add(b).stats();
    const all = [...a, ...b];
    const mean = all.reduce((s, x) => s + x, 0) / all.length;
    const std = Math.sqrt(all.reduce((s, x) => s + (x - mean) ** 2, 0) / all.length);
    expect(stats.count).toBe(1333);
    expect(stats.mean).toBeCloseTo(mean, 10);
    expect(stats.std).toBeCloseTo(std, 10);
    const normalized = normalizeAudio(b, { mode: 'global', mean: stats.mean, std: stats.std });
    expect(normalized[5]).toBeCloseTo((b[5]! - mean) / std, 5);
    expect(b[5]).toBeCloseTo(2 * Math.cos(3.5) - 0.1, 6); // the input is left as it is
  });

  it('normalises per utterance to zero mean and unit variance', () => {
    const clip = new Float32Array(4000).map((_, i) => 0.2 * Math.sin(i / 7) + 0.05);
    const stats = new AudioStatsAccumulator().add(normalizeAudio(clip, { mode: 'utterance' })).stats();
    expect(stats.mean).toBeCloseTo(0, 6);
    expect(stats.std).toBeCloseTo(1, 5);
    expect(normalizeAudio(new Float32Array(10), { mode: 'utterance' })).toEqual(new Float32Array(10));
  });

  it('rejects unusable statistics', () => {
    expect(() => new AudioStatsAccumulator().stats()).toThrow('no samples were added');
    expect(() => normalizeAudio(new Float32Array(4), { mode: 'global', mean: 0, std: 0 })).toThrow(
      'global normalisation needs a finite mean and a positive std',
    );
  });
});

describe('frame alignment', () => {
  it('gives 640 samples per 25 fps frame at 16 kHz and refuses rates that do not divide', () => {
    expect(samplesPerFrame(16000, 25)).toBe(640);
    expect(() => samplesPerFrame(16000, 30)).toThrow('16000 / fps 30 = 533.333 is not a whole number');
  });

  it('drops or pads the remainder after the last whole frame', () => {
    expect(audioFrameCount(1300, 640, 'drop')).toBe(2);
    expect(audioFrameCount(1300, 640, 'pad')).toBe(3);
    const samples = new Float32Array(1300).fill(1);
    expect(fitToFrames(samples, 2, 640).length).toBe(1280);
    const padded = fitToFrames(samples, 3, 640);
    expect([padded.length, padded[1299], padded[1300]]).toEqual([1920, 1, 0]);
  });
});
