import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorpusError, loadCorpus, loadRavdess, ravdessActorFolds, standardSplit } from '../src/index.js';
import {
  LFS_POINTER,
  logCollector,
  removeTemporaryFolder,
  temporaryFolder,
  toneWav,
  VideoFixtures,
  writeBytes,
} from './fixtures.js';

const pad = (n: number) => String(n).padStart(2, '0');
// Per actor: neutral (normal), angry (strong), calm (normal).
const TRIALS = ['01-01-01-01-01', '01-05-02-02-01', '01-02-01-01-02'];

/** The published layout: Audio_Speech_Actors_01-24/Actor_NN/03-*.wav and Video_Speech_Actor_NN/Actor_NN/0[12]-*.mp4. */
async function writeRavdess(root: string, videos: VideoFixtures) {
  for (let actor = 1; actor <= 24; actor++) {
    const a = pad(actor);
    for (const trial of TRIALS) {
      await writeBytes(join(root, 'Audio_Speech_Actors_01-24', `Actor_${a}`, `03-${trial}-${a}.wav`), toneWav());
      await videos.write(join(root, `Video_Speech_Actor_${a}`, `Actor_${a}`, `01-${trial}-${a}.mp4`));
      await videos.write(join(root, `Video_Speech_Actor_${a}`, `Actor_${a}`, `02-${trial}-${a}.mp4`));
    }
  }
  await writeBytes(join(root, 'Audio_Song_Actors_01-24', 'Actor_01', '03-02-03-01-01-01-01.wav'), toneWav());
  await videos.write(join(root, 'Video_Song_Actor_01', 'Actor_01', '01-02-03-01-01-01-01.mp4'));
}

let folder: string;
let root: string;
let videos: VideoFixtures;

beforeAll(async () => {
  folder = await temporaryFolder('ravdess');
  videos = new VideoFixtures(folder);
  root = join(folder, 'RAVDESS');
  await writeRavdess(root, videos);
});
afterAll(() => removeTemporaryFolder(folder));

describe('loadRavdess', () => {
  it('pairs the audio-only WAV with the audio-video MP4 of each trial; odd actors are male', async () => {
    const manifest = await loadRavdess(root, { log: false });
    expect(manifest.corpus).toBe('ravdess');
    expect(manifest.entries).toHaveLength(24 * 2);
    expect(manifest.excluded).toEqual({ "emotion '02' not in map 'paper4'": 24 });
    expect(manifest.skipped).toEqual([]);
    const clip = manifest.entries.find((e) => e.id === '01-05-02-02-01-07');
    expect(clip).toMatchObject({
      speaker: 'Actor_07',
      gender: 'male',
      emotion: { code: '05', label: 'anger', index: 1 },
      audio: { path: join('Audio_Speech_Actors_01-24', 'Actor_07', '03-01-05-02-02-01-07.wav') },
      video: { path: join('Video_Speech_Actor_07', 'Actor_07', '01-01-05-02-02-01-07.mp4') },
      attributes: { vocalChannel: 'speech', intensity: 'strong', statement: 2, repetition: 1, actor: 7 },
    });
    expect(manifest.entries.find((e) => e.speaker === 'Actor_12')?.gender).toBe('female');
  });

  it('maps all 8 emotions with all8 and reads song when asked', async () => {
    const manifest = await loadRavdess(root, { emotionMap: 'all8', vocalChannels: ['speech', 'song'], log: false });
    expect(manifest.emotionClasses).toHaveLength(8);
    expect(manifest.entries).toHaveLength(24 * 3 + 1);
    const calm = manifest.entries.filter((e) => e.emotion.label === 'calm');
    expect(calm).toHaveLength(24);
    expect(calm.every((e) => e.emotion.index === 1)).toBe(true);
    expect(manifest.entries.find((e) => e.attributes?.vocalChannel === 'song')?.emotion.label).toBe('happiness');
  });

  it('is detected by loadCorpus; a folder without media is rejected with its path', async () => {
    expect((await loadCorpus(root, { log: false })).corpus).toBe('ravdess');
    const empty = join(folder, 'empty');
    await writeBytes(join(empty, 'README.txt'), 'nothing here');
    await expect(loadRavdess(empty, { log: false })).rejects.toThrow(CorpusError);
    await expect(loadRavdess(empty, { log: false })).rejects.toThrow(
      `${empty}: no .wav or .mp4 files: not a RAVDESS folder`,
    );
    await expect(loadRavdess(root, { vocalChannels: ['opera' as 'song'], log: false })).rejects.toThrow(
      /option vocalChannels/,
    );
  });

  it('reports malformed names, unknown codes and bad media with path and reason, and loads the rest', async () => {
    const bad = join(folder, 'bad');
    const actor = join(bad, 'Actor_01');
    await writeBytes(join(actor, '03-01-01-01-01-01.wav'), toneWav());
    await writeBytes(join(actor, '03-01-09-01-01-01-01.wav'), toneWav());
    await writeBytes(join(actor, '03-01-01-02-01-01-01.wav'), toneWav());
    await writeBytes(join(actor, '03-01-01-01-01-01-25.wav'), toneWav());
    await writeBytes(join(actor, '01-01-03-01-01-01-01.wav'), toneWav());
    // An LFS stub for the WAV: the audio falls back to the audio-video MP4's track.
    await writeBytes(join(actor, '03-01-04-01-01-01-01.wav'), LFS_POINTER);
    await videos.write(join(actor, '01-01-04-01-01-01-01.mp4'));
    // Video-only: no audio anywhere for this trial.
    await videos.write(join(actor, '02-01-05-01-01-01-01.mp4'));
    // A complete, good trial.
    await writeBytes(join(actor, '03-01-03-01-01-01-01.wav'), toneWav());
    await videos.write(join(actor, '02-01-03-01-01-01-01.mp4'));

    const printed = logCollector();
    const manifest = await loadRavdess(bad, { log: printed.log });
    expect(manifest.skipped.map((s) => [s.kind, s.path, s.reason])).toEqual([
      ['unknown-code', 'Actor_01/01-01-03-01-01-01-01.wav', "modality '01' does not match the .wav extension"],
      ['unknown-code', 'Actor_01/03-01-01-01-01-01-25.wav', "unknown actor '25' (expected 01-24)"],
      [
        'malformed-name',
        'Actor_01/03-01-01-01-01-01.wav',
        'not a RAVDESS file name (expected 7 two-digit fields, e.g. 03-01-06-01-02-01-12)',
      ],
      ['unknown-code', 'Actor_01/03-01-01-02-01-01-01.wav', 'neutral has no strong intensity in RAVDESS'],
      [
        'unknown-code',
        'Actor_01/03-01-09-01-01-01-01.wav',
        "unknown emotion code '09' (known: 01, 02, 03, 04, 05, 06, 07, 08)",
      ],
      ['lfs-pointer', 'Actor_01/03-01-04-01-01-01-01.wav', expect.stringContaining('Git LFS pointer stub')],
      [
        'incomplete',
        'Actor_01/02-01-05-01-01-01-01.mp4',
        'no usable audio for this trial (neither an audio-only WAV nor an audio-video MP4)',
      ],
    ]);
    expect(manifest.entries.map((e) => [e.id, e.audio?.path, e.video?.path])).toEqual([
      ['01-03-01-01-01-01', 'Actor_01/03-01-03-01-01-01-01.wav', 'Actor_01/02-01-03-01-01-01-01.mp4'],
      ['01-04-01-01-01-01', 'Actor_01/01-01-04-01-01-01-01.mp4', 'Actor_01/01-01-04-01-01-01-01.mp4'],
    ]);
    expect(printed.text()).toContain('skipped:     7');
    expect(printed.text()).toContain('Actor_01/03-01-01-01-01-01.wav: not a RAVDESS file name');
  });
});

describe('loadRavdess on a clone without git lfs pull', () => {
  it('reports a Git LFS stub under every emotion map, even where the map leaves its clip out', async () => {
    const stubbed = join(folder, 'stubbed');
    const actor = join(stubbed, 'Audio_Speech_Actors_01-24', 'Actor_01');
    await writeBytes(join(actor, '03-01-01-01-01-01-01.wav'), toneWav()); // neutral
    await writeBytes(join(actor, '03-01-02-01-01-01-01.wav'), LFS_POINTER); // calm: not in paper4
    for (const emotionMap of ['paper4', 'all8']) {
      const manifest = await loadRavdess(stubbed, { emotionMap, modalities: ['audio'], log: false });
      expect(manifest.skipped.map((s) => s.kind)).toEqual(['lfs-pointer', 'incomplete']);
      expect(manifest.skipped[0]?.path).toBe(join('Audio_Speech_Actors_01-24', 'Actor_01', '03-01-02-01-01-01-01.wav'));
      expect(manifest.entries.map((e) => e.id)).toEqual(['01-01-01-01-01-01']);
    }
  });
});

describe('ravdessActorFolds', () => {
  it('makes 6 folds of 4 consecutive actors (2 female, 2 male), every actor tested once, no actor in two parts', async () => {
    const manifest = await loadRavdess(root, { log: false });
    const plan = standardSplit(manifest, { seed: 3 });
    expect(plan).toEqual(ravdessActorFolds(manifest, { seed: 3 }));
    expect(plan.folds).toHaveLength(6);
    const genderOf = new Map(manifest.entries.map((e) => [e.speaker, e.gender]));
    for (const [i, fold] of plan.folds.entries()) {
      expect(fold.testSpeakers).toEqual([1, 2, 3, 4].map((k) => `Actor_${pad(4 * i + k)}`));
      expect(fold.testSpeakers.filter((s) => genderOf.get(s) === 'female')).toHaveLength(2);
      const all = [...fold.trainSpeakers, ...fold.validationSpeakers, ...fold.testSpeakers];
      expect(new Set(all).size).toBe(24);
      expect(all).toHaveLength(24);
      expect(fold.validationSpeakers.map((s) => genderOf.get(s)).sort()).toEqual(['female', 'male']);
    }
    expect(plan.folds.flatMap((f) => f.testSpeakers).sort()).toEqual([...genderOf.keys()].sort());
  });

  it('keeps folds by actor number when an actor is missing (the song set has no Actor_18)', async () => {
    const manifest = await loadRavdess(root, { log: false });
    const without18 = { ...manifest, entries: manifest.entries.filter((e) => e.speaker !== 'Actor_18') };
    const plan = ravdessActorFolds(without18, { seed: 3 });
    expect(plan.folds.map((f) => f.testSpeakers)).toEqual(
      [0, 1, 2, 3, 4, 5].map((fold) =>
        [1, 2, 3, 4]
          .map((k) => 4 * fold + k)
          .filter((n) => n !== 18)
          .map((n) => `Actor_${pad(n)}`),
      ),
    );
    const unnumbered = manifest.entries.map((e) => ({ ...e, speaker: e.gender === 'male' ? 'spkM' : 'spkF' }));
    expect(() => ravdessActorFolds({ ...manifest, entries: unnumbered })).toThrow(
      "speaker 'spkF' has no actor number (RAVDESS: Actor_NN)",
    );
  });
});
