import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClipCache, decodeWav } from '@mtl/media';
import type { EvalRecord, StepRecord } from '@mtl/training/run-store';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunListing, startViewer, type Viewer } from '../src/index.js';
import { writeFixture, writeRun } from './fixture-runs.js';
import { eventually, rawGet, tempDir } from './helpers.js';

const temp = tempDir('api');
let fixture: Awaited<ReturnType<typeof writeFixture>>;
let viewer: Viewer;

const get = async (path: string) => {
  const response = await fetch(new URL(path, viewer.url));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const listing = async (id: string) => ((await get('api/runs')).body.runs as RunListing[]).find((r) => r.id === id);

beforeAll(async () => {
  fixture = await writeFixture(temp.dir);
  viewer = await startViewer({ runs: fixture.runsDir, port: 0, pollMs: 100 });
  await viewer.ready;
});
afterAll(async () => {
  await viewer.close();
  temp.remove();
});

describe('runs and metrics', () => {
  it('lists every run with its config and min/max/last of each series', async () => {
    const runs = (await get('api/runs')).body.runs as RunListing[];
    expect(runs.map((r) => r.id).sort()).toEqual(fixture.specs.map((s) => s.id).sort());
    const { records, config } = fixture.runs[0]!;
    const run = runs.find((r) => r.id === config.id)!;
    expect(run.config?.weighting.method).toBe('dynamic');
    expect(run.summary?.status).toBe('completed');
    expect(run.records).toBe(records.length);
    const ua = records
      .filter((r): r is EvalRecord => r.kind === 'eval' && r.split === 'validation')
      .map((r) => r.tasks.emotion!.ua);
    expect(run.stats['validation/emotion.ua']).toEqual({
      min: Math.min(...ua),
      max: Math.max(...ua),
      last: ua.at(-1),
      count: ua.length,
    });
    const weights = records.filter((r): r is StepRecord => r.kind === 'step').map((r) => r.weights.emotion!);
    expect(run.stats['step/weights.emotion']?.last).toBe(weights.at(-1));
    expect(run.problems).toEqual([]);
  });

  it('serves every stored point column by column, and only what came after `from`', async () => {
    const { records, config } = fixture.runs[0]!;
    const all = (await get(`api/runs/${config.id}/metrics`)).body as {
      sources: Record<string, { step: number[]; values: Record<string, number[]> }>;
    };
    const steps = records.filter((r): r is StepRecord => r.kind === 'step');
    expect(all.sources.step!.step).toEqual(steps.map((r) => r.step));
    expect(all.sources.step!.values['losses.gender']).toEqual(steps.map((r) => r.losses.gender));
    expect(Object.keys(all.sources).sort()).toEqual(['step', 'test', 'validation']);
    const tail = (await get(`api/runs/${config.id}/metrics?from=${records.length - 2}`)).body as typeof all;
    // The last two records are the last epoch's validation and test evals.
    expect(Object.keys(tail.sources).sort()).toEqual(['test', 'validation']);
    expect(tail.sources.validation!.step).toEqual([records.at(-1)!.step]);
    expect((await get(`api/runs/${config.id}/metrics?from=-1`)).status).toBe(400);
  });

  it('serves confusion matrices, predictions and experiments', async () => {
    const confusion = (await get('api/runs/dynamic-s1/confusion')).body as {
      confusions: { task: string; epoch: number; split: string; matrix: number[][] }[];
    };
    const last = fixture.runs[0]!.records.at(-2) as EvalRecord;
    const entry = confusion.confusions.find(
      (c) => c.task === 'emotion' && c.split === 'validation' && c.epoch === last.epoch,
    );
    expect(entry?.matrix).toEqual(last.tasks.emotion!.confusion);
    const predictions = (await get('api/runs/dynamic-s1/predictions')).body as {
      predictions: { clipId: string }[];
      problems: string[];
    };
    expect(predictions.predictions.map((p) => p.clipId)).toEqual(fixture.clips.map((c) => c.id));
    expect(predictions.problems).toEqual([]);
    const experiments = (await get('api/experiments')).body as {
      experiments: { name: string; results: { rows: unknown[] } }[];
    };
    expect(experiments.experiments.map((e) => e.name)).toEqual(['paper-grid']);
    expect(experiments.experiments[0]!.results.rows).toHaveLength(2);
    await mkdir(join(fixture.experimentsDir, 'bad'));
    await writeFile(join(fixture.experimentsDir, 'bad', 'results.json'), '{"format":"mtl-experiment/1"}');
    const again = (await get('api/experiments')).body as { experiments: { name: string; problem?: string }[] };
    expect(again.experiments.find((e) => e.name === 'bad')?.problem).toMatch(
      /bad\/results\.json: field 'name' is missing/,
    );
  });

  it('answers unknown runs and APIs with 404 and writes with 405', async () => {
    expect((await get('api/runs/nope/metrics')).status).toBe(404);
    expect((await get('api/nothing')).status).toBe(404);
    expect((await rawGet(viewer.url, '/api/runs', {}, 'POST')).status).toBe(405);
    expect((await rawGet(viewer.url, '/api/runs', {}, 'DELETE')).status).toBe(405);
  });
});

describe('clips from the cache the run names', () => {
  it('plays a clip: a WAV of the cached samples', async () => {
    const clip = fixture.clips[0]!;
    const response = await rawGet(viewer.url, `/api/runs/dynamic-s1/clips/${clip.id}/audio.wav`);
    expect(response.status).toBe(200);
    expect(response.type).toBe('audio/wav');
    const wav = decodeWav(new Uint8Array(response.body));
    const cached = await new ClipCache(fixture.cacheDir).read(clip.key);
    expect(wav.sampleRate).toBe(16_000);
    expect(wav.samples.length).toBe(cached.audio!.length);
    let worst = 0;
    for (let i = 0; i < wav.samples.length; i++) worst = Math.max(worst, Math.abs(wav.samples[i]! - cached.audio![i]!));
    expect(worst).toBeLessThan(1 / 16_000);
  });

  it('answers a byte range of the audio (a media element seeking)', async () => {
    const path = `/api/runs/dynamic-s1/clips/${fixture.clips[0]!.id}/audio.wav`;
    const whole = await rawGet(viewer.url, path);
    const part = await rawGet(viewer.url, path, { Range: 'bytes=44-143' });
    expect(part.status).toBe(206);
    expect(part.body).toEqual(whole.body.subarray(44, 144));
    const tail = await rawGet(viewer.url, path, { Range: 'bytes=-10' });
    expect(tail.body).toEqual(whole.body.subarray(whole.body.length - 10));
    expect((await rawGet(viewer.url, path, { Range: `bytes=${whole.body.length}-` })).status).toBe(416);
  });

  it('shows a strip of the cached face frames as a JPEG', async () => {
    const clip = fixture.clips[1]!;
    const response = await rawGet(viewer.url, `/api/runs/dynamic-s1/clips/${clip.id}/frames.jpg?count=4`);
    expect(response.type).toBe('image/jpeg');
    const image = jpeg.decode(response.body);
    expect([image.width, image.height]).toEqual([4 * 32, 32]);
    const cached = await new ClipCache(fixture.cacheDir).read(clip.key);
    // The first frame of the strip is the clip's first frame (JPEG-lossy).
    let error = 0;
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        for (let c = 0; c < 3; c++)
          error += Math.abs(image.data[(y * 128 + x) * 4 + c]! - cached.video![(y * 32 + x) * 3 + c]!);
      }
    }
    expect(error / (32 * 32 * 3)).toBeLessThan(6);
    expect((await rawGet(viewer.url, `/api/runs/dynamic-s1/clips/${clip.id}/frames.jpg?count=0`)).status).toBe(400);
    expect((await rawGet(viewer.url, '/api/runs/dynamic-s1/clips/not-a-clip/audio.wav')).status).toBe(404);
  });

  it.each([
    ['cut short', (bin: Buffer) => bin.subarray(0, 100), /holds 100 bytes; its JSON says/],
    ['changed in place', (bin: Buffer) => Buffer.from(bin.map((v, i) => (i === 50 ? v ^ 1 : v))), /checksum mismatch/],
  ])('never serves a cache entry whose arrays were %s', async (name, damage, problem) => {
    const dir = join(fixture.root, `damaged-${name.replaceAll(' ', '-')}`);
    const clip = fixture.clips[2]!;
    const shard = join(dir, 'clips', clip.key.slice(0, 2));
    await mkdir(shard, { recursive: true });
    const from = join(fixture.cacheDir, 'clips', clip.key.slice(0, 2), clip.key);
    await writeFile(join(shard, `${clip.key}.json`), await readFile(`${from}.json`));
    await writeFile(join(shard, `${clip.key}.bin`), damage(await readFile(`${from}.bin`)));
    const id = `damaged-${name.replaceAll(' ', '-')}`;
    await writeRun(fixture.runsDir, { id, cacheDir: dir, clips: [clip] });
    await eventually(() => listing(id));
    for (const file of ['audio.wav', 'frames.jpg']) {
      const response = await rawGet(viewer.url, `/api/runs/${id}/clips/${clip.id}/${file}`);
      expect(response.status).toBe(500);
      expect(JSON.parse(response.body.toString()).error).toMatch(problem);
    }
    await rm(join(fixture.runsDir, id), { recursive: true });
  });
});

describe('a live runs folder', () => {
  it('waits for a half-written last line, skips a broken one, and tells listeners by SSE', async () => {
    const file = join(fixture.runsDir, 'uniform-s2', 'metrics.jsonl');
    const before = (await listing('uniform-s2'))!.records;
    const events = await fetch(new URL('api/events', viewer.url));
    const reader = events.body!.getReader();
    const line = JSON.stringify({ ...(fixture.runs[3]!.records[0] as StepRecord), step: 1000, epoch: 4 });
    await appendFile(file, line.slice(0, 25));
    await new Promise((r) => setTimeout(r, 400));
    expect((await listing('uniform-s2'))!.records).toBe(before);
    expect((await listing('uniform-s2'))!.problems).toEqual([]);
    await appendFile(file, `${line.slice(25)}\n{"kind":"step","step":\n`);
    const run = await eventually(async () => {
      const r = await listing('uniform-s2');
      return r && r.records === before + 1 ? r : undefined;
    });
    expect(run.stats['step/loss']!.count).toBe(before - 6 + 1);
    expect(run.problems).toHaveLength(1);
    expect(run.problems[0]).toMatch(new RegExp(`uniform-s2/metrics\\.jsonl:${before + 2}: is not valid JSON`));
    let text = '';
    while (!text.includes('"uniform-s2"')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain('event: change');
    await reader.cancel();
  });

  it('shows runs that appear and forgets runs that vanish', async () => {
    await writeRun(fixture.runsDir, { id: 'late', weighting: 'uniform', seed: 9 });
    expect((await eventually(() => listing('late'))).config?.seed).toBe(9);
    await mkdir(join(fixture.runsDir, 'no-config-yet'));
    await rm(join(fixture.runsDir, 'late'), { recursive: true });
    await eventually(async () => ((await listing('late')) ? undefined : true));
    expect(await listing('no-config-yet')).toBeUndefined();
  });

  it('lists a run with a broken config, naming the file and the problem', async () => {
    await mkdir(join(fixture.runsDir, 'broken'));
    await writeFile(join(fixture.runsDir, 'broken', 'config.json'), '{"format":"mtl-run/1","id":3}');
    const run = await eventually(() => listing('broken'));
    expect(run.config).toBeNull();
    expect(run.problems[0]).toMatch(/broken\/config\.json: field 'id' must be a string, got 3$/);
    await rm(join(fixture.runsDir, 'broken'), { recursive: true });
  });
});
