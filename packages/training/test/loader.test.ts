import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ClipCache } from '@mtl/media';
import { createModel, presetConfig } from '@mtl/models';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClipLoader, computeAudioStats, type LoaderClip, type PreparedData, prepareData } from '../src/index.js';
import { type Corpus, tinyCorpus, wasm } from './fixtures.js';

let corpus: Corpus;
let data: PreparedData;
const model = () =>
  createModel(
    presetConfig('compact', {
      modal: 'multi',
      tasks: [
        { name: 'emotion', classes: 4 },
        { name: 'gender', classes: 2 },
      ],
    }),
  );
let spec: ReturnType<typeof model>['inputSpec'];

beforeAll(async () => {
  await wasm();
  corpus = await tinyCorpus();
  const m = model();
  spec = m.inputSpec;
  m.dispose();
  data = await prepareData({
    manifest: corpus.manifest,
    cacheDir: corpus.cacheDir,
    split: { name: 'random', fold: null },
    seed: 1,
    spec,
    workers: 0,
  });
}, 120_000);

const loaderFor = (
  clips: LoaderClip[],
  options: { prefetch?: boolean; bucketByLength?: boolean; batchSize?: number } = {},
) =>
  ClipLoader.create({
    cacheDir: corpus.cacheDir,
    clips,
    spec,
    tasks: ['emotion', 'gender'],
    batchSize: options.batchSize ?? 3,
    audioStats: { mean: 0, std: 1 },
    seed: 7,
    prefetch: options.prefetch ?? false,
    bucketByLength: options.bucketByLength ?? false,
  });

describe('loader', () => {
  it('prepares the splits with labels from the manifest', () => {
    const all = [...data.clips.train, ...data.clips.validation, ...data.clips.test];
    expect(all).toHaveLength(16);
    expect(data.failed).toEqual([]);
    expect(data.tasks.map((t) => t.name)).toEqual(['emotion', 'gender']);
    const emotions = ['neutral', 'anger', 'happiness', 'sadness'];
    for (const clip of all) {
      expect(emotions[clip.labels.emotion!]).toBe(clip.id.split('_')[1]);
      expect(clip.frameCount).toBeGreaterThan(3);
    }
    expect(new Set(all.map((c) => c.labels.gender))).toEqual(new Set([0, 1]));
  });

  it('pads to the longest clip with zeros and carries each clip its length', async () => {
    const clips = data.clips.train;
    const loader = await loaderFor(clips, { batchSize: clips.length });
    const before = tf.memory().numTensors;
    const cache = new ClipCache(corpus.cacheDir);
    for await (const batch of loader.epoch(1)) {
      const { audio, video, lengths } = batch.inputs!;
      const frames = Math.max(...(lengths as number[]));
      expect(audio!.shape).toEqual([batch.clipIds.length, frames * spec.samplesPerFrame]);
      expect(video!.shape).toEqual([batch.clipIds.length, frames, 32, 32, 3]);
      const audioRows = audio!.arraySync();
      const videoValues = video!.dataSync();
      const frameValues = 32 * 32 * 3;
      for (const [i, id] of batch.clipIds.entries()) {
        const clip = clips.find((c) => c.id === id)!;
        expect((lengths as number[])[i]).toBe(clip.frameCount);
        const cached = await cache.read(clip.key);
        const valid = clip.frameCount * spec.samplesPerFrame;
        expect(audioRows[i]!.slice(0, 5)).toEqual(Array.from(cached.audio!.slice(0, 5)));
        expect(audioRows[i]!.slice(valid).every((v) => v === 0)).toBe(true);
        const start = i * frames * frameValues;
        expect(videoValues[start + 10]).toBeCloseTo(cached.video![10]! / 255, 6);
        const padded = videoValues.slice(start + clip.frameCount * frameValues, start + frames * frameValues);
        expect(padded.every((v) => v === 0)).toBe(true);
      }
      const labels = batch.labels.emotion!.arraySync();
      expect(labels).toEqual(batch.clipIds.map((id) => clips.find((c) => c.id === id)!.labels.emotion));
      expect(batch.bytes).toBe((audio!.size + video!.size) * 4);
      batch.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    await loader.close();
  });

  it('shuffles by seed and epoch, resumes at a batch index, and prefetch gives the same batches', async () => {
    const clips = data.clips.train;
    const plain = await loaderFor(clips);
    const order = (epoch: number) => plain.epochPlan(epoch).map((b) => b.map((c) => c.id));
    expect(order(1)).toEqual(order(1));
    expect(order(2)).not.toEqual(order(1));
    expect(order(1).flat().sort()).toEqual(clips.map((c) => c.id).sort());

    const collect = async (loader: ClipLoader, from = 0) => {
      const out: { ids: string[]; audio: number[] }[] = [];
      for await (const batch of loader.epoch(2, from)) {
        out.push({ ids: batch.clipIds, audio: Array.from(batch.inputs!.audio!.dataSync().slice(0, 50)) });
        batch.dispose();
      }
      return out;
    };
    const all = await collect(plain);
    expect(await collect(plain, 1)).toEqual(all.slice(1));
    const prefetching = await loaderFor(clips, { prefetch: true });
    expect(await collect(prefetching)).toEqual(all);
    await prefetching.close();
  });

  it('buckets by length: less padding than plain batches', async () => {
    const clips = [...data.clips.train, ...data.clips.validation, ...data.clips.test];
    const padding = (loader: ClipLoader) =>
      loader
        .epochPlan(1)
        .reduce((sum, b) => sum + b.reduce((s, c) => s + Math.max(...b.map((x) => x.frameCount)) - c.frameCount, 0), 0);
    const bucketed = await loaderFor(clips, { bucketByLength: true, batchSize: 4 });
    const plain = await loaderFor(clips, { batchSize: 4 });
    expect(padding(bucketed)).toBeLessThan(padding(plain));
    expect(
      bucketed
        .epochPlan(1)
        .flat()
        .map((c) => c.id)
        .sort(),
    ).toEqual(clips.map((c) => c.id).sort());
  });

  it('reports a clip that fails to load by id and skips it', async () => {
    const clips = data.clips.validation;
    const broken = clips[0]!;
    const copy = path.join(corpus.root, 'broken-cache');
    const { cp } = await import('node:fs/promises');
    await cp(corpus.cacheDir, copy, { recursive: true });
    await writeFile(path.join(copy, 'clips', broken.key.slice(0, 2), `${broken.key}.bin`), new Uint8Array(10));
    const loader = await ClipLoader.create({
      cacheDir: copy,
      clips: [clips[1]!, broken],
      spec,
      tasks: ['emotion', 'gender'],
      batchSize: 2,
      audioStats: { mean: 0, std: 1 },
      seed: 1,
      shuffle: false,
      prefetch: true,
    });
    const batches = [];
    for await (const batch of loader.epoch(1)) batches.push(batch);
    expect(batches[0]!.clipIds).toEqual([clips[1]!.id]);
    expect(batches[0]!.skipped).toEqual([{ clipId: broken.id, reason: expect.stringMatching(/holds 10 bytes/) }]);
    for (const b of batches) b.dispose();
    await loader.close();
  });

  it("says what differs when the cache does not match the model's inputSpec", async () => {
    await expect(
      ClipLoader.create({
        cacheDir: corpus.cacheDir,
        clips: data.clips.train,
        spec: { ...spec, frameSize: 48, sampleRate: 8000, samplesPerFrame: 800 },
        tasks: ['emotion'],
        batchSize: 1,
        audioStats: { mean: 0, std: 1 },
        seed: 1,
      }),
    ).rejects.toThrow(
      /audio sample rate: cache has 16000, model reads 8000; audio samples per frame: cache has 1600, model reads 800; video frame size: cache has 32, model reads 48/,
    );
  });

  it('computes global audio statistics over the given clips', async () => {
    const stats = await computeAudioStats(corpus.cacheDir, data.clips.train);
    const cache = new ClipCache(corpus.cacheDir);
    let sum = 0;
    let count = 0;
    for (const clip of data.clips.train) {
      const { audio } = await cache.read(clip.key);
      for (const v of audio!) sum += v;
      count += audio!.length;
    }
    expect(stats.mean).toBeCloseTo(sum / count, 6);
    expect(stats.std).toBeGreaterThan(0);
  });
});
