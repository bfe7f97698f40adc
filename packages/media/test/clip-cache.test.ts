import { execFileSync, fork } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CacheEntryError,
  ClipCache,
  type MediaClip,
  type PreprocessRunOptions,
  preprocess,
  resolvePreprocessOptions,
} from '../src/index.js';
import { encode, mediaDir, STEREO_TONES } from './media-fixtures.js';

const dir = mediaDir('clip-cache');
afterAll(() => dir.remove());

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const child = (script: string, args: string[]) =>
  fork(join(import.meta.dirname, 'processes', script), args, {
    execArgv: ['--conditions=@mtl/source', '--import', tsx],
    stdio: 'inherit',
  });
const exited = (process: ReturnType<typeof fork>) =>
  new Promise<number | null>((resolve) => process.on('exit', (code) => resolve(code)));

const AUDIO: Omit<PreprocessRunOptions, 'cacheDir'> = { workers: 0, video: false, log: false };
let wavs: string[] = [];
const clipsOf = (files: string[], prefix = 'c'): MediaClip[] =>
  files.map((audioPath, i) => ({ id: `${prefix}${i}`, audioPath }));

beforeAll(async () => {
  const tone = await encode([STEREO_TONES(16000, 0.4)], ['-c:a', 'pcm_s16le'], dir.path('tone.wav'));
  // Distinct files, so each is its own clip (keys hash path, size and mtime).
  wavs = Array.from({ length: 24 }, (_, i) => {
    const path = dir.path(`clip${i}.wav`);
    writeFileSync(path, readFileSync(tone));
    return path;
  });
});

const binOf = (cacheDir: string, key: string) => join(cacheDir, 'clips', key.slice(0, 2), `${key}.bin`);

describe('clip cache integrity', () => {
  it('reports a truncated or missing .bin and makes the clip again; a bit flip is never returned', async () => {
    const cacheDir = dir.path('integrity');
    const clips = clipsOf(wavs.slice(0, 3));
    const first = await preprocess(clips, { cacheDir, ...AUDIO });
    expect(first.status).toBe('complete');
    const [a, b, c] = first.succeeded.map((s) => s.key) as [string, string, string];
    const original = readFileSync(binOf(cacheDir, c));

    truncateSync(binOf(cacheDir, a), 100);
    execFileSync('rm', [binOf(cacheDir, b)]);
    const flipped = Buffer.from(original);
    flipped[1234]! ^= 0x10;
    writeFileSync(binOf(cacheDir, c), flipped);

    // A bit flip keeps the size: the read's checksum catches it, removes the clip, and says so.
    const cache = new ClipCache(cacheDir);
    const error = await cache.read(c).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CacheEntryError);
    expect((error as Error).message).toBe(
      `ClipCache: ${binOf(cacheDir, c)}: checksum mismatch: the arrays changed on disk since they were written; the next preprocess makes it again`,
    );
    // Marked bad: every later read fails alike, and preprocess remakes it.
    await expect(cache.read(c)).rejects.toThrow('checksum mismatch');
    expect(await cache.has(c)).toBe(false);

    const second = await preprocess(clips, { cacheDir, ...AUDIO });
    expect(second.status).toBe('complete');
    expect(second.rebuilt).toEqual([
      {
        id: 'c0',
        key: a,
        file: binOf(cacheDir, a),
        problem: expect.stringMatching(/^truncated or overwritten: holds 100 bytes, its record says \d+$/),
      },
      { id: 'c1', key: b, file: binOf(cacheDir, b), problem: 'missing: its record exists but the arrays do not' },
      {
        id: 'c2',
        key: c,
        file: binOf(cacheDir, c),
        problem: 'checksum mismatch: the arrays changed on disk since they were written',
      },
    ]);
    expect(second.succeeded.map((s) => s.cached)).toEqual([false, false, false]);
    expect(readFileSync(binOf(cacheDir, c))).toEqual(original);
    for (const key of [a, b, c]) expect((await cache.read(key)).audio).toHaveLength(10 * 640);
  });

  it("with verify: 'checksum', finds a bit flip before any read", async () => {
    const cacheDir = dir.path('verify');
    const clips = clipsOf(wavs.slice(0, 2));
    const { key } = (await preprocess(clips, { cacheDir, ...AUDIO })).succeeded[0]!;
    const bytes = readFileSync(binOf(cacheDir, key));
    bytes[7]! ^= 1;
    writeFileSync(binOf(cacheDir, key), bytes);
    expect((await preprocess(clips, { cacheDir, ...AUDIO })).rebuilt).toEqual([]); // size still right
    const checked = await preprocess(clips, { cacheDir, ...AUDIO, verify: 'checksum' });
    expect(checked.rebuilt).toEqual([
      { id: 'c0', key, file: binOf(cacheDir, key), problem: expect.stringContaining('checksum mismatch') },
    ]);
    expect(checked.succeeded.map((s) => s.cached)).toEqual([false, true]);
  });
});

describe('clip cache index', () => {
  it('after a killed run: indexes the clips it stored, removes its temporary files, and resumes', async () => {
    const cacheDir = dir.path('killed');
    const clips = clipsOf(wavs.slice(0, 12));
    const clipsFile = dir.path('killed-clips.json');
    writeFileSync(clipsFile, JSON.stringify(clips));
    const run = child('preprocess-clips.ts', [cacheDir, clipsFile, 'stall-after:4']);
    while (!existsSync(`${cacheDir}.stalled`)) await new Promise((resolve) => setTimeout(resolve, 20));
    // And a writer killed mid-file, as a worker killed inside a write leaves one.
    const shard = join(cacheDir, 'clips', 'zz'); // no key starts so, so only the temporary file is there
    mkdirSync(shard, { recursive: true });
    const writer = child('hold-temp-file.ts', [join(shard, 'zz00.bin')]);
    await new Promise((resolve) => writer.once('message', resolve));
    run.kill('SIGKILL');
    writer.kill('SIGKILL');
    await Promise.all([exited(run), exited(writer)]);
    expect(existsSync(join(cacheDir, 'index.json'))).toBe(false);
    const leftover = readdirSync(shard);
    expect(leftover).toHaveLength(1);

    const resumed = await preprocess(clips, { cacheDir, ...AUDIO });
    expect(resumed.status).toBe('complete');
    expect(resumed.removedTempFiles).toEqual([join(shard, leftover[0]!)]);
    expect(readdirSync(shard)).toEqual([]);
    expect(resumed.succeeded.filter((s) => s.cached).map((s) => s.id)).toEqual(['c0', 'c1', 'c2', 'c3']);
    expect(resumed.index).toEqual({ written: true, repaired: ['index.json lacked 4 stored clip(s); added'] });
    const index = await resumed.cache.readIndex();
    expect(
      Object.values(index.clips)
        .map((c) => c.id)
        .sort(),
    ).toEqual(clips.map((c) => c.id).sort());
  }, 60_000);

  it('repairs a corrupt or stale index.json, and leaves it alone when nothing changed', async () => {
    const cacheDir = dir.path('repair');
    const clips = clipsOf(wavs.slice(0, 3));
    await preprocess(clips, { cacheDir, ...AUDIO });
    const indexFile = join(cacheDir, 'index.json');
    const good = readFileSync(indexFile, 'utf8');
    const mtime = statSync(indexFile).mtimeMs;
    const unchanged = await preprocess(clips, { cacheDir, ...AUDIO });
    expect(unchanged.index).toEqual({ written: false, repaired: [] });
    expect(statSync(indexFile).mtimeMs).toBe(mtime);

    writeFileSync(indexFile, '{"format": 2, "clips": {');
    const repaired = await preprocess(clips.slice(0, 1), { cacheDir, ...AUDIO });
    expect(repaired.index.written).toBe(true);
    expect(repaired.index.repaired).toEqual([
      expect.stringMatching(/index\.json: not valid JSON .*; rebuilt from the clip records$/),
    ]);
    expect(readFileSync(indexFile, 'utf8')).toBe(good);

    // An entry whose clip was removed by hand is dropped.
    const cache = new ClipCache(cacheDir);
    await cache.remove(unchanged.succeeded[2]!.key);
    expect((await preprocess([], { cacheDir, ...AUDIO })).index.repaired).toEqual([
      'index.json listed 1 clip(s) no longer stored; dropped',
    ]);
    expect(Object.keys((await cache.readIndex()).clips)).toHaveLength(2);
  });

  it('loses no entry when two processes preprocess into one cache at once', async () => {
    const cacheDir = dir.path('concurrent');
    const halves = [clipsOf(wavs.slice(0, 10), 'a'), clipsOf(wavs.slice(10, 20), 'b')];
    const runs = halves.map((clips, i) => {
      const file = dir.path(`half${i}.json`);
      writeFileSync(file, JSON.stringify(clips));
      return child('preprocess-clips.ts', [cacheDir, file, 'one-by-one']);
    });
    expect(await Promise.all(runs.map(exited))).toEqual([0, 0]);
    const index = await new ClipCache(cacheDir).readIndex();
    expect(
      Object.values(index.clips)
        .map((c) => c.id)
        .sort(),
    ).toEqual(
      halves
        .flat()
        .map((c) => c.id)
        .sort(),
    );
    expect(readdirSync(cacheDir).sort()).toEqual(['clips', 'index.json']);
  }, 120_000);
});

/**
 * Makes `path` read-only for this process: a read-only bind mount when running as root
 * (root ignores permission bits), else permission bits. Undefined when neither can be done.
 */
function makeReadOnly(path: string): (() => void) | undefined {
  if (process.getuid?.() !== 0) {
    execFileSync('chmod', ['-R', 'a-w', path]);
    return () => execFileSync('chmod', ['-R', 'u+w', path]);
  }
  try {
    execFileSync('mount', ['--bind', path, path], { stdio: 'ignore' });
    execFileSync('mount', ['-o', 'remount,bind,ro', path], { stdio: 'ignore' });
    return () => execFileSync('umount', [path]);
  } catch {
    return undefined;
  }
}

describe('a cache that cannot be written', () => {
  it('still returns the per-clip report from a read-only cache', async (context) => {
    const cacheDir = dir.path('read-only');
    await preprocess(clipsOf(wavs.slice(0, 2)), { cacheDir, ...AUDIO });
    const restore = makeReadOnly(cacheDir);
    if (restore === undefined) return context.skip('cannot make a read-only folder here (root without mount rights)');
    try {
      const result = await preprocess(clipsOf(wavs.slice(0, 3)), { cacheDir, ...AUDIO });
      expect(result.status).toBe('partial');
      expect(result.succeeded.map((s) => [s.id, s.cached])).toEqual([
        ['c0', true],
        ['c1', true],
      ]);
      expect(result.failed).toEqual([{ id: 'c2', file: wavs[2], reason: expect.stringMatching(/EROFS|EACCES/) }]);
      expect(result.index).toEqual({
        written: false,
        repaired: [],
        error: expect.stringMatching(/index\.lock.*(EROFS|EACCES)/),
      });
      // Reading what is there still works.
      expect((await result.cache.read(result.succeeded[0]!.key)).frameCount).toBe(10);
    } finally {
      restore();
    }
  });

  it('reports a full disk per clip and leaves no temporary file behind', async (context) => {
    const cacheDir = dir.path('full');
    mkdirSync(cacheDir);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48k', 'tmpfs', cacheDir], { stdio: 'ignore' });
    } catch {
      return context.skip('cannot mount a small tmpfs here');
    }
    try {
      const result = await preprocess(clipsOf(wavs.slice(0, 4)), { cacheDir, ...AUDIO });
      expect(result.status).not.toBe('complete');
      expect(result.failed.length).toBeGreaterThan(0);
      for (const failure of result.failed) expect(failure.reason).toContain('ENOSPC');
      const files = readdirSync(cacheDir, { recursive: true }).map(String);
      expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect(result.succeeded.length + result.failed.length).toBe(4);
    } finally {
      execFileSync('umount', [cacheDir]);
    }
  });
});

describe('preprocess status and options', () => {
  it("says 'complete', 'partial' or 'failed', and names a directory that stands where a clip should be", async () => {
    const cacheDir = dir.path('status');
    const folderClip = dir.path('folder.wav');
    mkdirSync(folderClip);
    const ok = clipsOf(wavs.slice(0, 1));
    expect((await preprocess(ok, { cacheDir, ...AUDIO })).status).toBe('complete');
    const mixed = await preprocess([...ok, { id: 'dir', audioPath: folderClip }], { cacheDir, ...AUDIO });
    expect(mixed.status).toBe('partial');
    expect(mixed.failed).toEqual([
      { id: 'dir', file: folderClip, reason: `clip dir: ${folderClip}: is a directory, not a media file` },
    ]);
    expect((await preprocess([{ id: 'dir', audioPath: folderClip }], { cacheDir, ...AUDIO })).status).toBe('failed');
  });

  it('resolves every default, face detection included, before the cache key', () => {
    const cache = new ClipCache(dir.path('keys'));
    const clip = { id: 'x', videoPath: wavs[0]! };
    const sources = [{ path: wavs[0]!, size: 1, mtimeMs: 1 }];
    const key = (video: unknown) => cache.keyFor(clip, resolvePreprocessOptions({ video } as never), sources);
    const detect = resolvePreprocessOptions({ video: { size: 64, color: 'rgb', crop: { mode: 'detect' } } });
    expect((detect.video as { crop: unknown }).crop).toEqual({
      mode: 'detect',
      detector: 'tiny',
      detectFps: 5,
      minScore: 0.5,
      margin: 0.25,
      smoothingSeconds: 0.5,
      detectMaxSide: 640,
    });
    const implicit = key({ size: 64, color: 'rgb', crop: { mode: 'detect' } });
    expect(key({ size: 64, color: 'rgb', crop: { mode: 'detect', margin: 0.25, detector: 'tiny' } })).toBe(implicit);
    expect(key({ size: 64, color: 'rgb', crop: { mode: 'detect', margin: 0.3 } })).not.toBe(implicit);
    // A partial video setting takes the rest from the paper's, not from nothing.
    expect(resolvePreprocessOptions({ video: { size: 32 } } as never).video).toEqual({
      size: 32,
      color: 'rgb',
      crop: { mode: 'fixed' },
    });
  });
});
