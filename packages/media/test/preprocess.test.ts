import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClipCache,
  type MediaClip,
  PAPER_PREPROCESSING,
  type PreprocessedClip,
  type PreprocessProgress,
  preprocess,
  preprocessClip,
  preprocessClips,
} from '../src/index.js';
import { encode, mediaDir, STEREO_TONES } from './media-fixtures.js';

const dir = mediaDir('preprocess');
afterAll(() => dir.remove());

const SPLIT = 'color=red:s=160x240:r=30:d=1[a];color=blue:s=160x240:r=30:d=1[b];[a][b]hstack[out0]';
const BLUE_BOX = { x: 180, y: 20, width: 120, height: 120 };
const quiet = { log: false } as const;

let av: string;
let wav: string;
let silentVideo: string;
const bad: Record<string, string> = {};
beforeAll(async () => {
  // Audio outlasts the 1 s of video, so the video decides the frame count.
  av = await encode(
    [SPLIT, STEREO_TONES(48000, 1.3)],
    ['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac'],
    dir.path('av.mp4'),
  );
  wav = await encode([STEREO_TONES(16000, 1.5)], ['-c:a', 'pcm_s16le'], dir.path('dialog.wav'));
  silentVideo = await encode(
    ['testsrc=s=64x48:r=25:d=1'],
    ['-c:v', 'libx264', '-preset', 'ultrafast'],
    dir.path('silent.mp4'),
  );
  bad.truncated = dir.path('truncated.mp4');
  writeFileSync(bad.truncated, readFileSync(av).subarray(0, 3000));
  bad.garbage = dir.path('garbage.avi');
  writeFileSync(bad.garbage, Buffer.alloc(5000, 'not a video '));
  bad.empty = dir.path('empty.wav');
  writeFileSync(bad.empty, '');
  bad.tiny = await encode([STEREO_TONES(16000, 0.03)], ['-c:a', 'pcm_s16le'], dir.path('tiny.wav'));
});

describe('preprocessClip', () => {
  it('aligns audio and video on one frame axis with the paper settings', async () => {
    const clip = await preprocessClip({ id: 'av', videoPath: av, channel: 1, faceBox: BLUE_BOX }, PAPER_PREPROCESSING);
    expect(clip).toMatchObject({
      frameCount: 25,
      fps: 25,
      sampleRate: 16000,
      samplesPerFrame: 640,
      size: 96,
      channels: 3,
    });
    expect(clip.audio!.length).toBe(25 * 640);
    expect(clip.video!.length).toBe(25 * 96 * 96 * 3);
    expect(clip.video![2]).toBeGreaterThan(240); // blue
    expect(clip.capped).toBe(false);
  });

  it('cuts the same range from a separate audio file and caps it, keeping the true length', async () => {
    const clip = await preprocessClip(
      { id: 'cut', audioPath: wav, channel: 0, start: 0.2, end: 1.45 },
      { audio: { sampleRate: 8000, channel: 'mix' }, video: false, fps: 20, maxSeconds: 1, remainder: 'pad' },
    );
    expect(clip).toMatchObject({ frameCount: 20, samplesPerFrame: 400, capped: true });
    expect(clip.sourceSeconds).toBeCloseTo(1.25, 6);
    expect(clip.video).toBeUndefined();
  });

  it('decodes the cuts of one video together; a bad cut fails alone', async () => {
    const clips: MediaClip[] = [
      { id: 'late', videoPath: av, start: 0.5, end: 0.9, faceBox: BLUE_BOX },
      { id: 'outside', videoPath: av, faceBox: { x: 300, y: 0, width: 96, height: 96 } },
      {
        id: 'early',
        videoPath: av,
        start: 0.1,
        end: 0.6,
        channel: 1,
        faceBox: { x: 0, y: 0, width: 100, height: 100 },
      },
    ];
    const [late, outside, early] = await preprocessClips(clips, PAPER_PREPROCESSING);
    expect(outside).toBeInstanceOf(Error);
    expect((outside as Error).message).toContain('must be whole pixels inside the 320x240 frame');
    for (const [i, result] of [late, early].entries()) {
      const alone = await preprocessClip(clips[i * 2]!, PAPER_PREPROCESSING);
      expect(result).toEqual(alone);
    }
    const together = await preprocessClips([clips[0]!, clips[2]!], PAPER_PREPROCESSING);
    expect(together).toEqual([late, early]);
    expect((early as PreprocessedClip).video![0]).toBeGreaterThan(240); // red, from its own box
  });

  it('rejects a clip shorter than one frame, and missing streams', async () => {
    await expect(preprocessClip({ id: 'tiny', audioPath: bad.tiny! }, { video: false })).rejects.toThrow(
      `clip tiny: ${bad.tiny}: shorter than one frame (0.040 s at 25 fps)`,
    );
    await expect(
      preprocessClip(
        { id: 'silent', videoPath: silentVideo },
        { video: { ...PAPER_PREPROCESSING.video, crop: { mode: 'full' } } as never },
      ),
    ).rejects.toThrow(`decodeAudio: ${silentVideo}: has no audio stream`);
    await expect(preprocessClip({ id: 'novideo', audioPath: wav })).rejects.toThrow('clip novideo: has no videoPath');
    await expect(preprocessClip({ id: 'x', audioPath: wav }, { fps: 30, video: false })).rejects.toThrow(
      'is not a whole number',
    );
  });
});

describe('preprocess', () => {
  const good: MediaClip[] = [
    { id: 'av-blue', videoPath: '', faceBox: BLUE_BOX },
    { id: 'av-left', videoPath: '', channel: 0, faceBox: { x: 0, y: 0, width: 160, height: 160 } },
    { id: 'av-cut', videoPath: '', start: 0.2, end: 0.8, faceBox: BLUE_BOX },
  ];
  const manifest = () => [
    ...good.map((c) => ({ ...c, videoPath: av })),
    { id: 'truncated', videoPath: bad.truncated!, faceBox: BLUE_BOX },
    { id: 'garbage', videoPath: bad.garbage!, faceBox: BLUE_BOX },
    { id: 'empty', audioPath: bad.empty!, videoPath: av, faceBox: BLUE_BOX },
    { id: 'no-audio', videoPath: silentVideo, faceBox: { x: 0, y: 0, width: 48, height: 48 } },
    { id: 'missing', videoPath: dir.path('missing.mp4') },
  ];

  it('runs clips in worker processes, records every failure, and resumes from the cache', async () => {
    const cacheDir = dir.path('cache');
    const progress: PreprocessProgress[] = [];
    const lines: string[] = [];
    const first = await preprocess(manifest(), {
      cacheDir,
      workers: 2,
      onProgress: (p) => progress.push(p),
      log: (l) => lines.push(l),
    });
    expect(first.succeeded.map((s) => [s.id, s.cached])).toEqual([
      ['av-blue', false],
      ['av-left', false],
      ['av-cut', false],
    ]);
    const failures = Object.fromEntries(first.failed.map((f) => [f.id, f]));
    expect(first.failed.map((f) => f.id)).toEqual(['truncated', 'garbage', 'empty', 'no-audio', 'missing']);
    expect(failures.truncated).toMatchObject({
      file: bad.truncated,
      reason: expect.stringContaining('not a readable media file'),
    });
    expect(failures.garbage).toMatchObject({
      file: bad.garbage,
      reason: expect.stringContaining('not a readable media file'),
    });
    expect(failures.empty).toMatchObject({
      file: bad.empty,
      reason: expect.stringContaining('file is empty (0 bytes)'),
    });
    expect(failures['no-audio']).toMatchObject({
      file: silentVideo,
      reason: expect.stringContaining('has no audio stream'),
    });
    expect(failures.missing).toMatchObject({
      file: dir.path('missing.mp4'),
      reason: expect.stringContaining('no such file'),
    });
    expect(progress.at(-1)).toMatchObject({ total: 8, done: 3, cached: 0, failed: 5, etaSeconds: 0 });
    expect(lines.at(-1)).toMatch(/^preprocess: 8\/8 \(0 cached, 5 failed\)/);

    // What the workers stored is what preprocessClip makes in this process.
    const blue = first.succeeded.find((s) => s.id === 'av-blue')!;
    const stored = await first.cache.read(blue.key);
    const direct = await preprocessClip({ ...good[0]!, videoPath: av }, PAPER_PREPROCESSING);
    expect(stored.audio).toEqual(direct.audio);
    expect(stored.video).toEqual(direct.video);
    expect(stored.frameCount).toBe(25);
    expect((await first.cache.read(first.succeeded.find((s) => s.id === 'av-cut')!.key)).frameCount).toBe(15);
    const index = await first.cache.readIndex();
    expect(
      Object.values(index.clips)
        .map((c) => c.id)
        .sort(),
    ).toEqual(['av-blue', 'av-cut', 'av-left']);
    const files = readdirSync(join(cacheDir, 'clips'), { recursive: true }).map(String);
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.bin'))).toHaveLength(3);

    const second = await preprocess(manifest(), { cacheDir, workers: 2, ...quiet });
    expect(second.succeeded.every((s) => s.cached)).toBe(true);
    expect(second.succeeded).toHaveLength(3);
    expect(second.failed).toHaveLength(5);

    // Other parameters are another clip: preprocessed again, stored beside the first.
    const grey = await preprocess(manifest().slice(0, 1), {
      cacheDir,
      workers: 0,
      video: { size: 32, color: 'grey', crop: { mode: 'fixed' } },
      ...quiet,
    });
    expect(grey.succeeded[0]).toMatchObject({ cached: false, meta: { size: 32, channels: 1 } });
    expect((await new ClipCache(cacheDir).rebuildIndex()).clips[grey.succeeded[0]!.key]?.id).toBe('av-blue');
    expect(Object.keys((await new ClipCache(cacheDir).readIndex()).clips)).toHaveLength(4);
  });

  it('finds a copied file by content hash, and rejects bad manifests and options', async () => {
    const cacheDir = dir.path('hash-cache');
    const clip = { id: 'a', audioPath: wav, channel: 1 };
    const options = { cacheDir, workers: 0, identity: 'hash', video: false, ...quiet } as const;
    expect((await preprocess([clip], options)).succeeded[0]!.cached).toBe(false);
    copyFileSync(wav, dir.path('copy.wav'));
    expect((await preprocess([{ ...clip, audioPath: dir.path('copy.wav') }], options)).succeeded[0]!.cached).toBe(true);
    const repeated = await preprocess([clip, clip], options);
    expect(repeated.failed).toEqual([{ id: 'a', file: wav, reason: 'clip id "a" is missing or repeated' }]);
    const holes = await preprocess([null as unknown as MediaClip, { ...clip, id: 'b' }], options);
    expect(holes.failed).toEqual([
      { id: '(no id)', file: undefined, reason: 'clip id undefined is missing or repeated' },
    ]);
    expect(holes.succeeded.map((s) => s.id)).toEqual(['b']);
    await expect(preprocess([clip], { ...options, workers: -1 })).rejects.toThrow(
      'workers must be a whole number >= 0, got -1',
    );
    await expect(preprocess([clip], { ...options, cacheDir: '' })).rejects.toThrow('preprocess: cacheDir is required');
    await expect(preprocess([clip], { ...options, audio: false })).rejects.toThrow('audio and video are both off');
  });
});
