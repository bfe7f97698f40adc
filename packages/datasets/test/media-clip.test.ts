import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { preprocessClip, runFfmpeg } from '@mtl/media';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateSyntheticCorpus,
  loadCorpus,
  loadIemocap,
  type ManifestEntry,
  readManifest,
  toMediaClip,
  writeManifest,
} from '../src/index.js';
import { removeTemporaryFolder, temporaryFolder, toneWav, writeBytes } from './fixtures.js';

const SMALL = { fps: 10, maxSeconds: 6, audio: { sampleRate: 16_000, channel: 'mix' as const } };

let folder: string;
beforeAll(async () => {
  folder = await temporaryFolder('media-clip');
});
afterAll(() => removeTemporaryFolder(folder));

/** One IEMOCAP dialog: a 2 s 720x480 AVI with a stereo track, and the 0.5 s utterance WAV of [0.5, 1.0]. */
async function writeOneDialog(root: string) {
  const session = join(root, 'Session1');
  const dialog = 'Ses01F_impro01';
  await writeBytes(
    join(session, 'dialog', 'EmoEvaluation', `${dialog}.txt`),
    `% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n\n[0.5000 - 1.0000]\t${dialog}_M000\tang\t[2.5000, 3.0000, 2.0000]\n`,
  );
  await writeBytes(join(session, 'sentences', 'wav', dialog, `${dialog}_M000.wav`), toneWav(0.5));
  const avi = join(session, 'dialog', 'avi', 'DivX', `${dialog}.avi`);
  await mkdir(join(session, 'dialog', 'avi', 'DivX'), { recursive: true });
  await runFfmpeg([
    ...['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=720x480:rate=10:duration=2'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=300:sample_rate=16000:duration=2', '-ac', '2'],
    ...['-c:v', 'mpeg4', '-c:a', 'pcm_s16le', '-shortest', avi],
  ]);
}

describe('toMediaClip', () => {
  it('turns a synthetic entry into a clip with absolute paths, even from a manifest read elsewhere, that preprocessClip decodes', async () => {
    const root = join(folder, 'synthetic');
    const corpus = await generateSyntheticCorpus({
      root,
      seed: 3,
      speakers: 2,
      emotions: ['neutral', 'anger'],
      clipsPerEmotion: 1,
      duration: 0.6,
      fps: 10,
      frameSize: 16,
    });
    const manifestFile = join(folder, 'elsewhere', 'manifest.json');
    await writeManifest(manifestFile, await loadCorpus(root, { log: false }));
    const manifest = await readManifest(manifestFile);
    const entry = manifest.entries[0] as ManifestEntry;
    const clip = toMediaClip(manifest, entry);
    expect(clip).toEqual({
      id: entry.id,
      audioPath: join(root, entry.audio!.path),
      videoPath: join(root, entry.video!.path),
    });
    const decoded = await preprocessClip(clip, { ...SMALL, video: { size: 16, color: 'rgb', crop: { mode: 'full' } } });
    const frames = Math.floor(corpus.clips.find((c) => c.id === entry.id)!.duration * 10);
    expect(frames).toBeGreaterThan(3);
    expect(decoded.frameCount).toBe(frames);
    expect(decoded.audio).toHaveLength(frames * 1600);
    expect(decoded.video).toHaveLength(frames * 16 * 16 * 3);
  });

  it("keeps IEMOCAP's whole utterance WAV next to its cut of the dialog video, with the speaker's box", async () => {
    const root = join(folder, 'iemocap');
    await writeOneDialog(root);
    const manifest = await loadIemocap(root, { crop: 'paper', log: false });
    const entry = manifest.entries[0] as ManifestEntry;
    const clip = toMediaClip(manifest, entry);
    expect(clip).toEqual({
      id: 'Ses01F_impro01_M000',
      audioPath: join(root, 'Session1', 'sentences', 'wav', 'Ses01F_impro01', 'Ses01F_impro01_M000.wav'),
      videoPath: join(root, 'Session1', 'dialog', 'avi', 'DivX', 'Ses01F_impro01.avi'),
      start: 0.5,
      end: 1,
      audioRange: {},
      faceBox: { x: 438, y: 128, width: 224, height: 224 },
    });
    // The WAV is 0.5 s long: cut again at [0.5, 1.0] it would be empty.
    const decoded = await preprocessClip(clip, {
      ...SMALL,
      video: { size: 8, color: 'grey', crop: { mode: 'fixed' } },
    });
    expect(decoded.frameCount).toBe(5);
    expect(decoded.sourceSeconds).toBeCloseTo(0.5, 1);
  });

  it("cuts the dialog video's own audio track on the speaker's channel", async () => {
    const root = join(folder, 'iemocap');
    const manifest = await loadIemocap(root, { audioSource: 'dialog-video', log: false });
    const clip = toMediaClip(manifest, manifest.entries[0] as ManifestEntry);
    const avi = join(root, 'Session1', 'dialog', 'avi', 'DivX', 'Ses01F_impro01.avi');
    expect(clip).toEqual({ id: 'Ses01F_impro01_M000', audioPath: avi, videoPath: avi, start: 0.5, end: 1, channel: 1 });
    const decoded = await preprocessClip(clip, { ...SMALL, video: false });
    expect(decoded.frameCount).toBe(5);
  });

  it('refuses an entry with no media, naming it', async () => {
    const entry = { id: 'x1' } as ManifestEntry;
    expect(() => toMediaClip({ root: folder }, entry)).toThrow("toMediaClip: entry 'x1' has neither audio nor video");
  });
});
