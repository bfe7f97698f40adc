import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeWav, probeMedia, runFfmpeg } from '@mtl/media';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticCorpus, loadCorpus, type SyntheticCorpus, standardSplit } from '../src/index.js';
import { removeTemporaryFolder, temporaryFolder } from './fixtures.js';

const SIZE = 32;
const FPS = 10;
const RATE = 16000;

let folder: string;
let corpus: SyntheticCorpus;

beforeAll(async () => {
  folder = await temporaryFolder('synthetic');
  corpus = await generateSyntheticCorpus({
    root: join(folder, 'a'),
    seed: 5,
    speakers: 4,
    clipsPerEmotion: 2,
    duration: 1.5,
    fps: FPS,
    frameSize: SIZE,
  });
}, 120_000);
afterAll(() => removeTemporaryFolder(folder));

const audioOf = async (clip: { audio: string }) => decodeWav(await readFile(join(corpus.root, clip.audio))).samples;

/** In-place radix-2 FFT. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j] as number, re[i] as number];
      [im[i], im[j]] = [im[j] as number, im[i] as number];
    }
  }
  for (let size = 2; size <= n; size <<= 1) {
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < size / 2; k++) {
        const cr = Math.cos((-2 * Math.PI * k) / size);
        const ci = Math.sin((-2 * Math.PI * k) / size);
        const a = start + k;
        const b = a + size / 2;
        const tr = (re[b] as number) * cr - (im[b] as number) * ci;
        const ti = (re[b] as number) * ci + (im[b] as number) * cr;
        re[b] = (re[a] as number) - tr;
        im[b] = (im[a] as number) - ti;
        re[a] = (re[a] as number) + tr;
        im[a] = (im[a] as number) + ti;
      }
    }
  }
}

/**
 * Median pitch (Hz) over the loud frames and its interquartile spread in semitones, by the
 * cepstrum (robust to the formant ringing that fools autocorrelation on low voices).
 */
function pitchTrack(samples: Float32Array): { median: number; spread: number } {
  const frame = 1024;
  const pitches: number[] = [];
  const rms = (from: number) => Math.sqrt(samples.subarray(from, from + frame).reduce((s, v) => s + v * v, 0) / frame);
  let loudest = 0;
  for (let i = 0; i + frame <= samples.length; i += frame / 2) loudest = Math.max(loudest, rms(i));
  for (let i = 0; i + frame <= samples.length; i += frame / 2) {
    if (rms(i) < 0.3 * loudest) continue;
    const re = new Float64Array(frame);
    const im = new Float64Array(frame);
    for (let k = 0; k < frame; k++)
      re[k] = (samples[i + k] as number) * (0.5 - 0.5 * Math.cos((2 * Math.PI * k) / frame));
    fft(re, im);
    for (let k = 0; k < frame; k++) {
      re[k] = Math.log(Math.hypot(re[k] as number, im[k] as number) + 1e-9);
      im[k] = 0;
    }
    fft(re, im);
    let best = Number.NEGATIVE_INFINITY;
    let bestLag = 0;
    for (let q = Math.floor(RATE / 400); q <= Math.ceil(RATE / 70); q++) {
      if ((re[q] as number) > best) {
        best = re[q] as number;
        bestLag = q;
      }
    }
    pitches.push(RATE / bestLag);
  }
  pitches.sort((a, b) => a - b);
  const at = (q: number) => pitches[Math.floor(q * (pitches.length - 1))] as number;
  return { median: at(0.5), spread: 12 * Math.log2(at(0.75) / at(0.25)) };
}

const rmsOf = (samples: Float32Array) => Math.sqrt(samples.reduce((s, v) => s + v * v, 0) / samples.length);
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

async function decodeFrames(video: string): Promise<Uint8Array[]> {
  const { stdout } = await runFfmpeg([
    '-loglevel',
    'error',
    '-i',
    join(corpus.root, video),
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ]);
  const size = SIZE * SIZE * 3;
  return Array.from(
    { length: stdout.length / size },
    (_, f) => new Uint8Array(stdout.subarray(f * size, (f + 1) * size)),
  );
}

/** Pixels of the open mouth's dark inside, in the lower middle of the frame. */
function mouthOpening(frame: Uint8Array): number {
  let count = 0;
  for (let y = Math.floor(SIZE * 0.6); y < Math.ceil(SIZE * 0.88); y++) {
    for (let x = Math.floor(SIZE * 0.38); x < Math.ceil(SIZE * 0.62); x++) {
      const [r, g, b] = [
        frame[(y * SIZE + x) * 3],
        frame[(y * SIZE + x) * 3 + 1],
        frame[(y * SIZE + x) * 3 + 2],
      ] as number[] as [number, number, number];
      if (r < 100 && g < 50 && b < 60 && r - g > 15) count++;
    }
  }
  return count;
}

function correlation(a: number[], b: number[]): number {
  const ma = mean(a);
  const mb = mean(b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += ((a[i] as number) - ma) * ((b[i] as number) - mb);
    aa += ((a[i] as number) - ma) ** 2;
    bb += ((b[i] as number) - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

describe('generateSyntheticCorpus', () => {
  it('writes WAVs, MP4s with an audio track and a labels file that loadCorpus reads like a real corpus', async () => {
    expect(corpus.clips).toHaveLength(4 * 4 * 2);
    const manifest = await loadCorpus(corpus.root, { log: false });
    expect(manifest.corpus).toBe('synthetic');
    expect(manifest.skipped).toEqual([]);
    expect(manifest.entries).toHaveLength(32);
    expect(manifest.entries.map((e) => e.gender).filter((g) => g === 'female')).toHaveLength(16);
    const clip = corpus.clips[0] as SyntheticCorpus['clips'][number];
    const info = await probeMedia(join(corpus.root, clip.video as string));
    expect(info.video).toMatchObject({ width: SIZE, height: SIZE, fps: FPS });
    expect(info.audio).toMatchObject({ sampleRate: RATE, channelCount: 1, codec: 'aac' });
    expect(info.durationSeconds).toBeCloseTo(clip.duration, 0);
    const samples = await audioOf(clip);
    expect(samples.length).toBe(Math.round(clip.duration * RATE));
    expect((await decodeFrames(clip.video as string)).length).toBe(Math.round(clip.duration * FPS));
    const readme = await readFile(join(corpus.root, 'README.txt'), 'utf8');
    expect(readme).toContain('not human speech and not real faces');
  });

  it('gives female speakers a higher voice than male ones, and emotions their prosody', async () => {
    const byClip = new Map<string, { median: number; spread: number; rms: number }>();
    for (const clip of corpus.clips) {
      const samples = await audioOf(clip);
      byClip.set(clip.id, { ...pitchTrack(samples), rms: rmsOf(samples) });
    }
    const stat = (speaker: string, emotion: string, key: 'median' | 'spread' | 'rms') =>
      mean(
        corpus.clips
          .filter((c) => c.speaker === speaker && c.emotion === emotion)
          .map((c) => byClip.get(c.id)?.[key] as number),
      );
    const females = corpus.speakers.filter((s) => s.gender === 'female').map((s) => s.id);
    const males = corpus.speakers.filter((s) => s.gender === 'male').map((s) => s.id);
    expect(Math.min(...females.map((s) => stat(s, 'neutral', 'median')))).toBeGreaterThan(
      1.3 * Math.max(...males.map((s) => stat(s, 'neutral', 'median'))),
    );
    for (const speaker of [...females, ...males]) {
      expect(stat(speaker, 'anger', 'rms')).toBeGreaterThan(1.5 * stat(speaker, 'sadness', 'rms'));
      expect(stat(speaker, 'happiness', 'median')).toBeGreaterThan(1.15 * stat(speaker, 'sadness', 'median'));
      expect(stat(speaker, 'anger', 'median')).toBeGreaterThan(stat(speaker, 'neutral', 'median'));
      expect(stat(speaker, 'happiness', 'spread')).toBeGreaterThan(stat(speaker, 'sadness', 'spread'));
    }
  });

  it('renders faces whose mouth opens with the audio energy and whose expression follows the emotion', async () => {
    const openings: number[] = [];
    const energies: number[] = [];
    const firstFrames = new Map<string, Uint8Array>();
    for (const clip of corpus.clips) {
      const frames = await decodeFrames(clip.video as string);
      firstFrames.set(clip.id, frames[0] as Uint8Array);
      if (!clip.id.endsWith('_01')) continue;
      const samples = await audioOf(clip);
      frames.forEach((frame, f) => {
        openings.push(mouthOpening(frame));
        energies.push(rmsOf(samples.subarray(f * (RATE / FPS), (f + 1) * (RATE / FPS))));
      });
    }
    expect(correlation(openings, energies)).toBeGreaterThan(0.8);
    // First frames are silent (mouth closed) and the head sway is per speaker, so two clips of
    // one speaker and emotion start alike, and any difference between emotions is expression.
    // Pixels that differ clearly (> 40 in a channel) between two clips' first frames.
    const difference = (a: string, b: string) => {
      const x = firstFrames.get(a) as Uint8Array;
      const y = firstFrames.get(b) as Uint8Array;
      let changed = 0;
      for (let p = 0; p < x.length; p += 3) {
        if (Math.max(...[0, 1, 2].map((c) => Math.abs((x[p + c] as number) - (y[p + c] as number)))) > 40) changed++;
      }
      return changed;
    };
    for (const speaker of corpus.speakers.map((s) => s.id)) {
      for (const emotion of ['neutral', 'anger', 'happiness', 'sadness']) {
        expect(difference(`${speaker}_${emotion}_01`, `${speaker}_${emotion}_02`)).toBeLessThanOrEqual(1);
        if (emotion !== 'neutral')
          expect(difference(`${speaker}_neutral_01`, `${speaker}_${emotion}_01`)).toBeGreaterThanOrEqual(3);
      }
    }
    expect(difference('spk01_neutral_01', 'spk02_neutral_01')).toBeGreaterThan(200);
  });

  it('is deterministic by seed and keeps speakers disjoint across the standard split', async () => {
    const small = { speakers: 2, clipsPerEmotion: 1, duration: 1, fps: FPS, frameSize: SIZE };
    const [first, again, other] = await Promise.all([
      generateSyntheticCorpus({ root: join(folder, 'b1'), seed: 9, ...small }),
      generateSyntheticCorpus({ root: join(folder, 'b2'), seed: 9, ...small }),
      generateSyntheticCorpus({ root: join(folder, 'b3'), seed: 10, ...small }),
    ]);
    const bytes = (c: SyntheticCorpus, path: string) => readFile(join(c.root, path));
    for (const clip of first.clips) {
      expect(await bytes(again, clip.audio)).toEqual(await bytes(first, clip.audio));
      expect(await bytes(again, clip.video as string)).toEqual(await bytes(first, clip.video as string));
      expect(await bytes(other, clip.audio)).not.toEqual(await bytes(first, clip.audio));
    }
    expect(await bytes(again, 'labels.csv')).toEqual(await bytes(first, 'labels.csv'));

    // The default-size corpus (8 speakers), audio only: the standard split keeps speakers apart.
    const full = await generateSyntheticCorpus({ root: join(folder, 'c'), video: false });
    const manifest = await loadCorpus(full.root, { modalities: ['audio'], log: false });
    expect(manifest.entries).toHaveLength(8 * 4 * 3);
    const plan = standardSplit(manifest, { seed: 1 });
    expect(plan.folds).toHaveLength(4);
    for (const fold of plan.folds) {
      const parts = [fold.trainSpeakers, fold.validationSpeakers, fold.testSpeakers];
      expect(parts.map((p) => p.length)).toEqual([4, 2, 2]);
      expect(new Set(parts.flat()).size).toBe(8);
    }
    expect(plan.folds.flatMap((f) => f.testSpeakers).sort()).toEqual(full.speakers.map((s) => s.id));
  });

  it('rejects bad options, naming them', async () => {
    const root = join(folder, 'never');
    await expect(generateSyntheticCorpus({ root, frameSize: 33 })).rejects.toThrow(
      'option frameSize: expected an even number of pixels, got 33',
    );
    await expect(generateSyntheticCorpus({ root, fps: 7 })).rejects.toThrow(
      'option fps: 7 must divide the sample rate 16000',
    );
    await expect(generateSyntheticCorpus({ root, emotions: ['boredom'] })).rejects.toThrow(
      /option emotions: no synthetic style for 'boredom'/,
    );
    await expect(generateSyntheticCorpus({ root, speakers: 1 })).rejects.toThrow(
      'option speakers: expected a whole number >= 2, got 1',
    );
    await expect(generateSyntheticCorpus({ root, duration: 0 })).rejects.toThrow(
      'option duration: expected 0.5 to 30 seconds, got 0',
    );
  });
});
