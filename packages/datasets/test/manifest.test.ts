import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CorpusError,
  checkMediaFile,
  loadCorpus,
  loadSynthetic,
  type Manifest,
  ManifestError,
  mediaPath,
  readManifest,
  summarizeManifest,
  validateManifest,
  writeManifest,
} from '../src/index.js';
import { LFS_POINTER, removeTemporaryFolder, temporaryFolder, toneWav, writeBytes } from './fixtures.js';

let folder: string;
let manifest: Manifest;

/** A two-speaker synthetic-layout corpus written by hand (audio only), loaded through the public loader. */
beforeAll(async () => {
  folder = await temporaryFolder('manifest');
  const rows = ['id,speaker,gender,emotion,audio,video'];
  for (const [speaker, gender] of [
    ['spkA', 'female'],
    ['spkB', 'male'],
  ]) {
    for (const emotion of ['neutral', 'anger', 'happiness', 'sadness']) {
      const audio = join('audio', `${speaker}_${emotion}.wav`);
      await writeBytes(join(folder, audio), toneWav());
      rows.push(`${speaker}_${emotion},${speaker},${gender},${emotion},${audio},`);
    }
  }
  rows.push(
    'spkB_fear,spkB,male,fear,audio/none.wav,',
    'spkC_anger,spkC,other,anger,audio/x.wav,',
    'only,three,cells',
    'spkA_anger,spkA,female,anger,audio/y.wav,',
  );
  await writeBytes(join(folder, 'labels.csv'), `${rows.join('\n')}\n`);
  manifest = await loadSynthetic(folder, { modalities: ['audio'], log: false });
});
afterAll(() => removeTemporaryFolder(folder));

describe('manifest', () => {
  it('holds one validated entry per clip, with media paths relative to the root', async () => {
    expect(manifest.entries).toHaveLength(8);
    expect(validateManifest(manifest)).toBe(manifest);
    const entry = manifest.entries[0] as Manifest['entries'][number];
    expect(mediaPath(manifest, entry.audio as { path: string })).toBe(join(folder, entry.audio?.path as string));
    expect(manifest.skipped.map((s) => [s.kind, s.path])).toEqual([
      ['unknown-code', 'labels.csv:10'],
      ['malformed-labels', 'labels.csv:11'],
      ['malformed-labels', 'labels.csv:12'],
      ['malformed-labels', 'labels.csv:13'],
    ]);
    expect(summarizeManifest(manifest)).toEqual({
      corpus: 'synthetic',
      emotionMap: 'paper4',
      clips: 8,
      perClass: { neutral: 2, anger: 2, happiness: 2, sadness: 2 },
      perGender: { female: 4, male: 4 },
      perSpeaker: { spkA: 4, spkB: 4 },
      skipped: 4,
      skippedPerKind: { 'unknown-code': 1, 'malformed-labels': 3 },
      excluded: {},
    });
  });

  it('round-trips through writeManifest and readManifest', async () => {
    const file = join(folder, 'out', 'manifest.json');
    await writeManifest(file, manifest);
    expect(await readManifest(file)).toEqual(manifest);
  });

  it('rejects malformed manifests, listing every problem with its JSON path', async () => {
    const broken = structuredClone(manifest) as unknown as Record<string, unknown> & {
      entries: Record<string, unknown>[];
    };
    broken.version = 2;
    (broken.entries[0] as Record<string, unknown>).gender = 'other';
    (broken.entries[1] as { emotion: { index: number } }).emotion.index = 3;
    (broken.entries[2] as Record<string, unknown>).audio = undefined;
    (broken.entries[3] as Record<string, unknown>).id = (broken.entries[4] as Record<string, unknown>).id;
    (broken.entries[5] as Record<string, unknown>).timeRange = { start: 2, end: 1 };
    let error: ManifestError | undefined;
    try {
      validateManifest(broken, 'broken.json');
    } catch (e) {
      error = e as ManifestError;
    }
    expect(error).toBeInstanceOf(ManifestError);
    expect(error?.problems).toEqual([
      'version: expected 1, got 2',
      'entries[0].gender: expected one of female, male, got "other"',
      "entries[1].emotion.index: expected 2 for 'happiness', got 3",
      'entries[2]: has neither audio nor video',
      "entries[4].id: duplicate id 'spkB_anger'",
      'entries[5].timeRange: end (1) must be after start (2)',
    ]);
    expect(error?.message).toMatch(/^invalid manifest \(broken\.json\):\n {2}version: expected 1, got 2/);
    expect(() => validateManifest([])).toThrow('invalid manifest (manifest):\n  expected a JSON object, got []');

    const file = join(folder, 'bad.json');
    await writeFile(file, '{"format": ');
    await expect(readManifest(file)).rejects.toThrow(`invalid manifest (${file}):\n  not valid JSON`);
    await expect(readManifest(join(folder, 'absent.json'))).rejects.toThrow(/cannot read the file: ENOENT/);
    await expect(writeManifest(join(folder, 'never.json'), broken as unknown as Manifest)).rejects.toThrow(
      ManifestError,
    );
    await expect(readFile(join(folder, 'never.json'))).rejects.toThrow(/ENOENT/);
  });
});

describe('loading a folder that is not a corpus', () => {
  it('names the folder or file and says what is missing', async () => {
    const empty = join(folder, 'not-a-corpus');
    await writeBytes(join(empty, 'notes.txt'), 'hello');
    await expect(loadCorpus(empty, { log: false })).rejects.toThrow(CorpusError);
    await expect(loadCorpus(empty, { log: false })).rejects.toThrow(`${empty}: not a known corpus folder`);
    await expect(loadSynthetic(empty, { log: false })).rejects.toThrow(
      `${join(empty, 'labels.csv')}: the labels file is missing`,
    );
    await writeBytes(join(empty, 'labels.csv'), 'clip,emotion\n');
    await expect(loadSynthetic(empty, { log: false })).rejects.toThrow(
      `${join(empty, 'labels.csv')}: expected the header 'id,speaker,gender,emotion,audio,video', found "clip,emotion"`,
    );
    await expect(loadSynthetic(folder, { modalities: [], log: false })).rejects.toThrow(/option modalities/);
  });
});

describe('checkMediaFile', () => {
  it('tells missing, empty, LFS-pointer and mislabelled files from real media', async () => {
    const wav = join(folder, 'check', 'good.wav');
    await writeBytes(wav, toneWav());
    await writeBytes(join(folder, 'check', 'empty.wav'), '');
    await writeBytes(join(folder, 'check', 'pointer.mp4'), LFS_POINTER);
    await writeBytes(join(folder, 'check', 'text.wav'), 'RIFF but not really');
    await writeBytes(join(folder, 'check', 'wav-named.mp4'), toneWav());
    expect(await checkMediaFile(wav)).toBeUndefined();
    expect(await checkMediaFile(join(folder, 'check', 'absent.wav'))).toEqual({
      kind: 'missing-media',
      reason: 'media file is missing',
    });
    expect(await checkMediaFile(join(folder, 'check', 'empty.wav'))).toEqual({
      kind: 'empty-media',
      reason: 'media file is empty (0 bytes)',
    });
    expect((await checkMediaFile(join(folder, 'check', 'pointer.mp4')))?.kind).toBe('lfs-pointer');
    expect(await checkMediaFile(join(folder, 'check', 'text.wav'))).toEqual({
      kind: 'not-media',
      reason: 'not a WAV (RIFF/WAVE) file: its first bytes are "RIFF but not"',
    });
    expect((await checkMediaFile(join(folder, 'check', 'wav-named.mp4')))?.reason).toMatch(
      /^not a MP4 \(ftyp box\) file/,
    );
  });
});
