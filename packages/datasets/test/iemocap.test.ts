import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CorpusError,
  formatSummary,
  leaveOneSessionOut,
  loadCorpus,
  loadIemocap,
  validateManifest,
} from '../src/index.js';
import {
  LFS_POINTER,
  logCollector,
  removeTemporaryFolder,
  temporaryFolder,
  toneWav,
  VideoFixtures,
  writeBytes,
} from './fixtures.js';

// Per session: the dialog, then (utterance suffix, code, start) rows. Session 1 also has a
// dialog led by the male actor (Ses01M_...) in which the female actor speaks.
const DIALOG_ROWS: [string, string, number][] = [
  ['F000', 'neu', 1.0],
  ['M000', 'ang', 3.0],
  ['F001', 'hap', 5.0],
  ['M001', 'sad', 7.0],
  ['F002', 'exc', 9.0],
  ['M002', 'fru', 11.0],
];

function labelFile(dialog: string, rows: [string, string, number][]): string {
  const blocks = rows.map(
    ([suffix, code, start]) =>
      `[${start.toFixed(4)} - ${(start + 1.5).toFixed(4)}]\t${dialog}_${suffix}\t${code}\t[2.5000, 3.0000, 2.0000]\nC-E1:\tNeutral;\t()\nA-E3:\tval 3; act 2; dom  2;\t()\n`,
  );
  return `% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n\n${blocks.join('\n')}`;
}

async function writeDialog(
  root: string,
  session: number,
  dialog: string,
  rows: [string, string, number][],
  videos: VideoFixtures,
) {
  const base = join(root, `Session${session}`);
  await writeBytes(join(base, 'dialog', 'EmoEvaluation', `${dialog}.txt`), labelFile(dialog, rows));
  await videos.write(join(base, 'dialog', 'avi', 'DivX', `${dialog}.avi`));
  for (const [suffix] of rows)
    await writeBytes(join(base, 'sentences', 'wav', dialog, `${dialog}_${suffix}.wav`), toneWav());
}

/** IEMOCAP_full_release in its published layout: 5 sessions, tiny real WAVs and AVIs. */
async function writeIemocap(root: string, videos: VideoFixtures) {
  for (let s = 1; s <= 5; s++) await writeDialog(root, s, `Ses0${s}F_impro01`, DIALOG_ROWS, videos);
  await writeDialog(root, 1, 'Ses01M_impro02', [['F000', 'sad', 2.0]], videos);
  // macOS tar forks that ship in the release archive must be ignored.
  await writeBytes(join(root, 'Session1', 'dialog', 'EmoEvaluation', '._Ses01F_impro01.txt'), 'binary junk');
}

let folder: string;
let root: string;
let videos: VideoFixtures;

beforeAll(async () => {
  folder = await temporaryFolder('iemocap');
  videos = new VideoFixtures(folder);
  root = join(folder, 'IEMOCAP_full_release');
  await writeIemocap(root, videos);
});
afterAll(() => removeTemporaryFolder(folder));

describe('loadIemocap on a well-formed release', () => {
  it("keeps the paper's four classes, takes gender from the utterance's last part and speakers from session + gender", async () => {
    const manifest = await loadIemocap(folder, { log: false });
    expect(manifest.corpus).toBe('iemocap');
    expect(manifest.root).toBe(root);
    expect(manifest.emotionMap).toBe('paper4');
    expect(manifest.emotionClasses).toEqual(['neutral', 'anger', 'happiness', 'sadness']);
    expect(manifest.entries).toHaveLength(5 * 4 + 1);
    expect(manifest.skipped).toEqual([]);
    expect(manifest.excluded).toEqual({
      "emotion 'exc' not in map 'paper4'": 5,
      "emotion 'fru' not in map 'paper4'": 5,
    });

    const crossed = manifest.entries.find((e) => e.id === 'Ses01M_impro02_F000');
    expect(crossed).toMatchObject({ speaker: 'Ses01_F', gender: 'female', genderIndex: 0, session: 'Session1' });
    const male = manifest.entries.find((e) => e.id === 'Ses03F_impro01_M000');
    expect(male).toMatchObject({
      speaker: 'Ses03_M',
      gender: 'male',
      genderIndex: 1,
      emotion: { code: 'ang', label: 'anger', index: 1 },
      audio: { path: join('Session3', 'sentences', 'wav', 'Ses03F_impro01', 'Ses03F_impro01_M000.wav') },
      video: { path: join('Session3', 'dialog', 'avi', 'DivX', 'Ses03F_impro01.avi'), range: { start: 3, end: 4.5 } },
      timeRange: { start: 3, end: 4.5 },
    });
    expect(male?.video?.crop).toBeUndefined();
    expect(new Set(manifest.entries.map((e) => e.speaker)).size).toBe(10);
    expect(() => validateManifest(JSON.parse(JSON.stringify(manifest)))).not.toThrow();
  });

  it("merges 'exc' into happiness under the standard 4-class map", async () => {
    const manifest = await loadIemocap(root, { emotionMap: 'standard4', log: false });
    const excited = manifest.entries.filter((e) => e.emotion.code === 'exc');
    expect(excited).toHaveLength(5);
    expect(excited.every((e) => e.emotion.label === 'happiness' && e.emotion.index === 2)).toBe(true);
    expect(manifest.excluded).toEqual({ "emotion 'fru' not in map 'standard4'": 5 });
  });

  it("offers the dialog video's speaker channel, the paper's crop boxes and a duration cap", async () => {
    const manifest = await loadIemocap(root, {
      audioSource: 'dialog-video',
      crop: 'paper',
      maxDuration: 1,
      log: false,
    });
    expect(manifest.entries).toHaveLength(0);
    expect(manifest.excluded['longer than 1 s']).toBe(21);

    const full = await loadIemocap(root, { audioSource: 'dialog-video', crop: 'paper', log: false });
    const female = full.entries.find((e) => e.gender === 'female');
    const male = full.entries.find((e) => e.gender === 'male');
    expect(female?.audio).toEqual({ path: female?.video?.path, channel: 0, range: female?.timeRange });
    expect(male?.audio?.channel).toBe(1);
    expect(female?.video?.crop).toEqual({ x: 87, y: 128, width: 224, height: 224 });
    expect(male?.video?.crop).toEqual({ x: 438, y: 128, width: 224, height: 224 });
  });

  it('loads audio only when asked, without requiring the videos', async () => {
    const manifest = await loadIemocap(root, { modalities: ['audio'], log: false });
    expect(manifest.entries.every((e) => e.audio && !e.video)).toBe(true);
  });

  it('is found by loadCorpus and prints its summary', async () => {
    const printed = logCollector();
    const manifest = await loadCorpus(folder, { log: printed.log });
    expect(manifest.corpus).toBe('iemocap');
    expect(printed.text()).toBe(formatSummary(manifest));
    expect(printed.text()).toContain('per class:   neutral 5, anger 5, happiness 5, sadness 6');
    expect(printed.text()).toContain('per gender:  female 11, male 10');
    expect(printed.text()).toContain('Ses01_F 3');
  });

  it('rejects a folder that is not IEMOCAP and bad options, naming them', async () => {
    await expect(loadIemocap(join(root, 'Session1', 'dialog'), { log: false })).rejects.toThrow(CorpusError);
    await expect(loadIemocap(join(root, 'Session1', 'dialog'), { log: false })).rejects.toThrow(
      /Session1\/dialog: no Session1\.\.Session5 folders/,
    );
    await expect(loadIemocap(root, { emotionMap: 'paper7', log: false })).rejects.toThrow(
      /option emotionMap: 'paper7' is not an emotion map of iemocap; choose one of paper4, standard4/,
    );
    await expect(loadIemocap(root, { audioSource: 'mic' as 'sentences', log: false })).rejects.toThrow(
      /option audioSource/,
    );
    await expect(loadIemocap(root, { maxDuration: -1, log: false })).rejects.toThrow(/option maxDuration/);
  });
});

describe('loadIemocap on a damaged release', () => {
  let damaged: string;
  beforeAll(async () => {
    damaged = join(folder, 'damaged');
    await writeIemocap(damaged, videos);
    await rm(join(damaged, 'Session3', 'dialog', 'EmoEvaluation'), { recursive: true });
    const labels = join(damaged, 'Session2', 'dialog', 'EmoEvaluation', 'Ses02F_impro01.txt');
    const extra =
      '\n[20.0000 - ]\tSes02F_impro01_F009\tneu\t[2.5, 2.5, 2.5]\n\n[22.0000 - 23.0000]\tSes02F_impro01_M009\tzzz\t[2.5, 2.5, 2.5]\n\n[24.0000 - 25.0000]\tSes01F_impro01_M010\tneu\t[2.5, 2.5, 2.5]\n';
    await writeFile(labels, (await readFile(labels, 'utf8')) + extra);
    const wavs = join(damaged, 'Session4', 'sentences', 'wav', 'Ses04F_impro01');
    await rm(join(wavs, 'Ses04F_impro01_F000.wav'));
    await writeBytes(join(wavs, 'Ses04F_impro01_M000.wav'), LFS_POINTER);
    await writeBytes(join(wavs, 'Ses04F_impro01_F001.wav'), 'not audio at all');
    await writeBytes(join(damaged, 'Session5', 'dialog', 'avi', 'DivX', 'Ses05F_impro01.avi'), '');
  });

  it('reports every bad file and line with its path and reason, and loads the rest', async () => {
    const printed = logCollector();
    const manifest = await loadIemocap(damaged, { log: printed.log });
    const reasons = manifest.skipped.map((s) => `${s.kind} ${s.path}`);
    expect(reasons).toEqual([
      'malformed-labels Session2/dialog/EmoEvaluation/Ses02F_impro01.txt:27',
      'unknown-code Session2/dialog/EmoEvaluation/Ses02F_impro01.txt:29',
      'malformed-labels Session2/dialog/EmoEvaluation/Ses02F_impro01.txt:31',
      'missing-labels Session3/dialog/EmoEvaluation',
      'missing-media Session4/sentences/wav/Ses04F_impro01/Ses04F_impro01_F000.wav',
      'lfs-pointer Session4/sentences/wav/Ses04F_impro01/Ses04F_impro01_M000.wav',
      'not-media Session4/sentences/wav/Ses04F_impro01/Ses04F_impro01_F001.wav',
      'empty-media Session5/dialog/avi/DivX/Ses05F_impro01.avi',
      'empty-media Session5/dialog/avi/DivX/Ses05F_impro01.avi',
      'empty-media Session5/dialog/avi/DivX/Ses05F_impro01.avi',
      'empty-media Session5/dialog/avi/DivX/Ses05F_impro01.avi',
    ]);
    expect(manifest.skipped[2]?.reason).toBe("utterance 'Ses01F_impro01_M010' belongs to Session1, not Session2");
    expect(manifest.skipped[5]?.reason).toMatch(
      /^Git LFS pointer stub \(131 bytes\) instead of media: run 'git lfs pull'/,
    );
    // Sessions 1 and 2 intact (4 + 1 and 4), session 4 lost 3 clips, sessions 3 and 5 lost everything.
    expect(manifest.entries).toHaveLength(5 + 4 + 1);
    expect(new Set(manifest.entries.map((e) => e.session))).toEqual(new Set(['Session1', 'Session2', 'Session4']));
    expect(printed.text()).toContain(
      'skipped:     11 (malformed-labels 2, unknown-code 1, missing-labels 1, missing-media 1, lfs-pointer 1, not-media 1, empty-media 4)',
    );
    expect(printed.text()).toContain('Session3/dialog/EmoEvaluation: label folder is missing');
    expect(printed.text()).toContain("unknown emotion code 'zzz'");
  });
});

describe('loadIemocap on label files that are not plain text', () => {
  it('reads a UTF-16 label file, and reports one that cannot be read or holds no label line', async () => {
    const odd = join(folder, 'odd-labels');
    await writeIemocap(odd, videos);
    const labels = join(odd, 'Session2', 'dialog', 'EmoEvaluation');
    // Saved as UTF-16 LE with a BOM, as Windows editors do.
    const utf16 = Buffer.from(`\ufeff${labelFile('Ses02F_impro01', DIALOG_ROWS)}`, 'utf16le');
    expect(utf16.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xfe]));
    await writeFile(join(labels, 'Ses02F_impro01.txt'), utf16);
    await rm(join(odd, 'Session3', 'dialog', 'EmoEvaluation', 'Ses03F_impro01.txt'));
    await mkdir(join(odd, 'Session3', 'dialog', 'EmoEvaluation', 'Ses03F_impro01.txt')); // a folder named like the file
    await writeFile(join(odd, 'Session4', 'dialog', 'EmoEvaluation', 'Ses04F_impro01.txt'), Buffer.alloc(64, 0xff));

    const manifest = await loadIemocap(odd, { log: false });
    expect(manifest.entries.filter((e) => e.session === 'Session2')).toHaveLength(4);
    expect(manifest.skipped.map((s) => [s.kind, s.path, s.reason])).toEqual([
      [
        'missing-labels',
        join('Session3', 'dialog', 'EmoEvaluation', 'Ses03F_impro01.txt'),
        "label file is a folder, not a file: its dialog's utterances have no labels",
      ],
      [
        'malformed-labels',
        join('Session4', 'dialog', 'EmoEvaluation', 'Ses04F_impro01.txt'),
        expect.stringContaining("no label lines ('[start - end]"),
      ],
    ]);
    expect(manifest.entries).toHaveLength(5 * 4 + 1 - 2 * 4);
  });
});

describe('leaveOneSessionOut', () => {
  it('makes 5 folds, each testing one female and one male speaker, covering every speaker once', async () => {
    const manifest = await loadIemocap(root, { log: false });
    const plan = leaveOneSessionOut(manifest, { seed: 7 });
    expect(plan).toMatchObject({ name: 'leave-one-session-out', corpus: 'iemocap', speakerIndependent: true, seed: 7 });
    expect(plan.folds).toHaveLength(5);
    const tested: string[] = [];
    for (const [i, fold] of plan.folds.entries()) {
      expect(fold.testSpeakers).toEqual([`Ses0${i + 1}_F`, `Ses0${i + 1}_M`]);
      expect(fold.validationSpeakers.map((s) => s.slice(-1)).sort()).toEqual(['F', 'M']);
      const parts = [fold.trainSpeakers, fold.validationSpeakers, fold.testSpeakers];
      expect(new Set(parts.flat()).size).toBe(10);
      expect(parts.flat()).toHaveLength(10);
      expect(fold.train.length + fold.validation.length + fold.test.length).toBe(manifest.entries.length);
      const speakerOf = new Map(manifest.entries.map((e) => [e.id, e.speaker]));
      expect(fold.test.every((id) => fold.testSpeakers.includes(speakerOf.get(id) as string))).toBe(true);
      expect(fold.validation.every((id) => fold.validationSpeakers.includes(speakerOf.get(id) as string))).toBe(true);
      tested.push(...fold.testSpeakers);
    }
    expect(tested.sort()).toEqual([...new Set(manifest.entries.map((e) => e.speaker))].sort());
    expect(leaveOneSessionOut(manifest, { seed: 7 })).toEqual(plan);
    const others = [1, 2, 3, 4, 5, 6].map((seed) =>
      JSON.stringify(leaveOneSessionOut(manifest, { seed }).folds.map((f) => f.validationSpeakers)),
    );
    expect(new Set(others).size).toBeGreaterThan(1);
  });
});
