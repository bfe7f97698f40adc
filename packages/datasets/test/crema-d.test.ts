import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorpusError, loadCorpus, loadCremaD, speakerFolds, standardSplit } from '../src/index.js';
import {
  LFS_POINTER,
  logCollector,
  removeTemporaryFolder,
  temporaryFolder,
  toneWav,
  VideoFixtures,
  writeBytes,
} from './fixtures.js';

const ACTORS = Array.from({ length: 10 }, (_, i) => 1001 + i);
const CLIPS = ['DFA_ANG_XX', 'IEO_HAP_HI', 'TIE_NEU_XX', 'IWW_SAD_LO', 'DFA_FEA_XX'];
const DEMOGRAPHICS_HEADER = 'ActorID,Age,Sex,Race,Ethnicity';
const demographicsRow = (actor: number) => `${actor},30,${actor % 2 === 1 ? 'Male' : 'Female'},Caucasian,Not Hispanic`;

async function writeClip(
  root: string,
  videos: VideoFixtures,
  name: string,
  parts: { audio?: boolean; video?: boolean } = {},
) {
  if (parts.audio !== false) await writeBytes(join(root, 'AudioWAV', `${name}.wav`), toneWav());
  if (parts.video !== false) await videos.write(join(root, 'VideoFlash', `${name}.flv`));
}

/** The published layout: AudioWAV/*.wav, VideoFlash/*.flv and VideoDemographics.csv. */
async function writeCremaD(root: string, videos: VideoFixtures, extraRows: string[] = []) {
  await writeBytes(
    join(root, 'VideoDemographics.csv'),
    `${[DEMOGRAPHICS_HEADER, ...ACTORS.map(demographicsRow), ...extraRows].join('\r\n')}\r\n`,
  );
  for (const actor of ACTORS) for (const clip of CLIPS) await writeClip(root, videos, `${actor}_${clip}`);
}

let folder: string;
let root: string;
let videos: VideoFixtures;

beforeAll(async () => {
  folder = await temporaryFolder('crema-d');
  videos = new VideoFixtures(folder);
  root = join(folder, 'CREMA-D');
  await writeCremaD(root, videos);
});
afterAll(() => removeTemporaryFolder(folder));

describe('loadCremaD', () => {
  it('pairs AudioWAV and VideoFlash by clip name and takes gender from VideoDemographics.csv', async () => {
    const manifest = await loadCremaD(root, { log: false });
    expect(manifest.entries).toHaveLength(ACTORS.length * 4);
    expect(manifest.excluded).toEqual({ "emotion 'FEA' not in map 'paper4'": ACTORS.length });
    expect(manifest.skipped).toEqual([]);
    expect(manifest.entries.find((e) => e.id === '1002_IEO_HAP_HI')).toMatchObject({
      speaker: '1002',
      gender: 'female',
      emotion: { code: 'HAP', label: 'happiness', index: 2 },
      audio: { path: join('AudioWAV', '1002_IEO_HAP_HI.wav') },
      video: { path: join('VideoFlash', '1002_IEO_HAP_HI.flv') },
      attributes: { sentence: 'IEO', level: 'high' },
    });
    expect(manifest.entries.find((e) => e.speaker === '1001')?.gender).toBe('male');
    const all6 = await loadCremaD(root, { emotionMap: 'all6', log: false });
    expect(all6.entries).toHaveLength(ACTORS.length * 5);
    expect(all6.entries.find((e) => e.emotion.code === 'FEA')?.emotion).toEqual({
      code: 'FEA',
      label: 'fear',
      index: 4,
    });
    expect((await loadCorpus(root, { log: false })).corpus).toBe('crema-d');
  });

  it('skips the known broken clips, unknown actors, bad names and bad media with path and reason', async () => {
    const bad = join(folder, 'bad');
    await writeCremaD(bad, videos, ['1076,40,Male,Asian,Not Hispanic', '10x3,22,Other,Asian,Not Hispanic']);
    await writeClip(bad, videos, '1076_MTI_SAD_XX');
    await writeClip(bad, videos, '1076_DFA_ANG_XX');
    await writeClip(bad, videos, '1092_DFA_ANG_XX');
    await writeClip(bad, videos, '1001_DFA_ANG');
    await writeClip(bad, videos, '1001_XYZ_ANG_XX');
    await writeClip(bad, videos, '1001_DFA_JOY_XX');
    await writeClip(bad, videos, '1001_DFA_ANG_ZZ');
    await writeClip(bad, videos, '1003_ITS_SAD_XX', { video: false });
    await writeClip(bad, videos, '1005_ITS_NEU_XX', { video: false });
    await writeBytes(join(bad, 'VideoFlash', '1005_ITS_NEU_XX.flv'), LFS_POINTER);

    const printed = logCollector();
    const manifest = await loadCremaD(bad, { log: printed.log });
    expect(manifest.skipped.map((s) => [s.kind, s.path, s.reason])).toEqual([
      [
        'malformed-labels',
        'VideoDemographics.csv:13',
        expect.stringContaining('malformed row (expected a 4-digit ActorID and Sex Male or Female)'),
      ],
      ['malformed-name', 'AudioWAV/1001_DFA_ANG.wav', expect.stringContaining('not a CREMA-D clip name')],
      ['unknown-code', 'AudioWAV/1001_DFA_ANG_ZZ.wav', "unknown emotion level 'ZZ' (known: LO, MD, HI, XX)"],
      [
        'unknown-code',
        'AudioWAV/1001_DFA_JOY_XX.wav',
        "unknown emotion code 'JOY' (known: NEU, ANG, HAP, SAD, FEA, DIS)",
      ],
      ['unknown-code', 'AudioWAV/1001_XYZ_ANG_XX.wav', "unknown sentence code 'XYZ'"],
      ['incomplete', 'VideoFlash/1003_ITS_SAD_XX.flv', 'media file is missing (the clip has audio but no video)'],
      ['lfs-pointer', 'VideoFlash/1005_ITS_NEU_XX.flv', expect.stringContaining('Git LFS pointer stub')],
      ['known-broken', 'AudioWAV/1076_MTI_SAD_XX.wav', 'documented upstream: the recording has no audio'],
      [
        'unknown-speaker',
        'AudioWAV/1092_DFA_ANG_XX.wav',
        "actor 1092 is not in VideoDemographics.csv, so the clip's gender is unknown",
      ],
    ]);
    expect(manifest.entries).toHaveLength(ACTORS.length * 4 + 1);
    expect(manifest.entries.find((e) => e.id === '1076_DFA_ANG_XX')?.gender).toBe('male');
    expect(printed.text()).toContain('AudioWAV/1076_MTI_SAD_XX.wav: documented upstream: the recording has no audio');

    const audioOnly = await loadCremaD(bad, { modalities: ['audio'], includeBrokenClips: true, log: false });
    expect(audioOnly.entries.map((e) => e.id)).toEqual(
      expect.arrayContaining(['1003_ITS_SAD_XX', '1005_ITS_NEU_XX', '1076_MTI_SAD_XX']),
    );
  });

  it('refuses a folder without VideoDemographics.csv, naming the file', async () => {
    const noDemographics = join(folder, 'no-demographics');
    await writeClip(noDemographics, videos, '1001_DFA_ANG_XX');
    await expect(loadCremaD(noDemographics, { log: false })).rejects.toThrow(CorpusError);
    await expect(loadCremaD(noDemographics, { log: false })).rejects.toThrow(
      `${join(noDemographics, 'VideoDemographics.csv')}: the demographics file is missing`,
    );
  });
});

describe('loadCremaD on the copies people have', () => {
  it('reads a VideoDemographics.csv saved with a UTF-8 BOM', async () => {
    const bom = join(folder, 'bom');
    await writeCremaD(bom, videos);
    const csv = join(bom, 'VideoDemographics.csv');
    await writeBytes(csv, `\ufeff${[DEMOGRAPHICS_HEADER, ...ACTORS.map(demographicsRow)].join('\r\n')}\r\n`);
    expect((await readFile(csv)).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const manifest = await loadCremaD(bom, { log: false });
    expect(manifest.skipped).toEqual([]);
    expect(manifest.entries).toHaveLength(ACTORS.length * 4);
  });

  it('says a root that does not exist does not exist', async () => {
    const nowhere = join(folder, 'no-such-folder');
    await expect(loadCremaD(nowhere, { log: false })).rejects.toThrow(`${nowhere}: the corpus folder does not exist`);
    await expect(loadCorpus(nowhere, { log: false })).rejects.toThrow(`${nowhere}: the corpus folder does not exist`);
  });

  it('reports a Git LFS stub as a stub under every emotion map, even where the map leaves its clip out', async () => {
    const stubbed = join(folder, 'stubbed');
    await writeCremaD(stubbed, videos);
    await writeBytes(join(stubbed, 'AudioWAV', '1001_DFA_FEA_XX.wav'), LFS_POINTER); // fear: not in paper4
    for (const emotionMap of ['paper4', 'all6']) {
      const manifest = await loadCremaD(stubbed, { emotionMap, log: false });
      expect(manifest.skipped.map((s) => [s.kind, s.path, s.id])).toEqual([
        ['lfs-pointer', 'AudioWAV/1001_DFA_FEA_XX.wav', '1001_DFA_FEA_XX'],
      ]);
    }
  });

  it('names the VideoMP4 folder for a missing video when the copy uses MP4', async () => {
    const mp4 = join(folder, 'mp4');
    await writeBytes(
      join(mp4, 'VideoDemographics.csv'),
      `${[DEMOGRAPHICS_HEADER, demographicsRow(1001)].join('\n')}\n`,
    );
    await writeBytes(join(mp4, 'AudioWAV', '1001_DFA_ANG_XX.wav'), toneWav());
    await writeBytes(join(mp4, 'AudioWAV', '1001_DFA_SAD_XX.wav'), toneWav());
    await videos.write(join(mp4, 'VideoMP4', '1001_DFA_ANG_XX.mp4'));
    const manifest = await loadCremaD(mp4, { log: false });
    expect(manifest.entries.map((e) => e.video?.path)).toEqual([join('VideoMP4', '1001_DFA_ANG_XX.mp4')]);
    expect(manifest.skipped.map((s) => [s.kind, s.path])).toEqual([
      ['incomplete', join('VideoMP4', '1001_DFA_SAD_XX.mp4')],
    ]);
  });
});

describe('speakerFolds on CREMA-D', () => {
  it('makes 5 gender-balanced speaker-independent folds, deterministic by seed', async () => {
    const manifest = await loadCremaD(root, { log: false });
    const plan = standardSplit(manifest, { seed: 11 });
    expect(plan).toEqual(speakerFolds(manifest, { folds: 5, seed: 11 }));
    expect(plan.speakerIndependent).toBe(true);
    expect(plan.folds).toHaveLength(5);
    const genderOf = new Map(manifest.entries.map((e) => [e.speaker, e.gender]));
    for (const fold of plan.folds) {
      expect(fold.testSpeakers.map((s) => genderOf.get(s)).sort()).toEqual(['female', 'male']);
      const all = [...fold.trainSpeakers, ...fold.validationSpeakers, ...fold.testSpeakers];
      expect(new Set(all).size).toBe(all.length);
      expect(all).toHaveLength(10);
    }
    expect(plan.folds.flatMap((f) => f.testSpeakers).sort()).toEqual(ACTORS.map(String));
    const assignments = [1, 2, 3, 4].map((seed) =>
      JSON.stringify(speakerFolds(manifest, { seed }).folds.map((f) => f.testSpeakers)),
    );
    expect(new Set(assignments).size).toBeGreaterThan(1);
    expect(() => speakerFolds(manifest, { folds: 11 })).toThrow(
      'option folds: expected a whole number from 2 to the number of speakers (10), got 11',
    );
    expect(() => speakerFolds(manifest, { validationSpeakersPerGender: 4 })).toThrow(
      /option validationSpeakersPerGender: 4 female validation speaker\(s\) for 'fold 1' would leave no female training speaker/,
    );
  });
});
