import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateSyntheticCorpus,
  leaveOneSessionOut,
  loadSynthetic,
  type Manifest,
  randomSplit,
  ravdessActorFolds,
  speakerFolds,
} from '../src/index.js';
import { removeTemporaryFolder, temporaryFolder } from './fixtures.js';

let folder: string;
let manifest: Manifest;

beforeAll(async () => {
  folder = await temporaryFolder('splits');
  await generateSyntheticCorpus({ root: folder, speakers: 6, clipsPerEmotion: 5, duration: 0.5, video: false });
  manifest = await loadSynthetic(folder, { modalities: ['audio'], log: false });
});
afterAll(() => removeTemporaryFolder(folder));

describe('randomSplit', () => {
  it("cuts the paper's seeded 60/20/20 split, marked speaker-dependent, the same for the same seed", () => {
    const plan = randomSplit(manifest, { seed: 42 });
    expect(manifest.entries).toHaveLength(120);
    expect(plan).toMatchObject({ name: 'random-60-20-20', speakerIndependent: false, seed: 42 });
    const [fold] = plan.folds;
    expect([fold?.train.length, fold?.validation.length, fold?.test.length]).toEqual([72, 24, 24]);
    const all = [...(fold?.train ?? []), ...(fold?.validation ?? []), ...(fold?.test ?? [])];
    expect(new Set(all).size).toBe(120);
    expect(fold?.testSpeakers).toHaveLength(6);
    expect(randomSplit(manifest, { seed: 42 })).toEqual(plan);
    expect(randomSplit(manifest, { seed: 43 }).folds[0]?.test).not.toEqual(fold?.test);
    expect(randomSplit(manifest, { seed: 1, fractions: [0.5, 0.25, 0.25] }).folds[0]?.train).toHaveLength(60);
  });

  it('rejects bad fractions and seeds, naming the option', () => {
    expect(() => randomSplit(manifest, { fractions: [0.6, 0.3, 0.2] })).toThrow(
      'option fractions: expected three non-negative numbers (train, validation, test) summing to 1, got [0.6,0.3,0.2]',
    );
    expect(() => randomSplit(manifest, { seed: 1.5 })).toThrow('option seed: expected an integer, got 1.5');
  });
});

describe('speaker splits', () => {
  it('never puts a speaker in two parts, covers every speaker once as test, and carves validation from training speakers', () => {
    for (const plan of [
      speakerFolds(manifest, { folds: 3, seed: 5 }),
      ravdessActorFolds(manifest, { actorsPerFold: 2, seed: 5 }),
    ]) {
      expect(plan.speakerIndependent).toBe(true);
      expect(plan.folds).toHaveLength(3);
      const speakerOf = new Map(manifest.entries.map((e) => [e.id, e.speaker]));
      for (const fold of plan.folds) {
        for (const part of ['train', 'validation', 'test'] as const) {
          const speakers = new Set(fold[part].map((id) => speakerOf.get(id)));
          expect([...speakers].sort()).toEqual(fold[`${part}Speakers`]);
        }
        expect(fold.validationSpeakers).toHaveLength(2);
        expect(new Set([...fold.trainSpeakers, ...fold.validationSpeakers, ...fold.testSpeakers]).size).toBe(6);
      }
      expect(plan.folds.flatMap((f) => f.testSpeakers).sort()).toEqual([
        'spk01',
        'spk02',
        'spk03',
        'spk04',
        'spk05',
        'spk06',
      ]);
    }
  });

  it('explains why a split cannot be made', async () => {
    expect(() => leaveOneSessionOut(manifest)).toThrow(
      "manifest: clip 'spk01_anger_01' has no session, so leave-one-session-out cannot place it",
    );
    expect(() => speakerFolds(manifest, { folds: 1 })).toThrow(/option folds/);
    expect(() => speakerFolds(manifest, { validationSpeakersPerGender: -1 })).toThrow(
      /option validationSpeakersPerGender: expected a whole number >= 0/,
    );
    expect(() => speakerFolds({ ...manifest, entries: [] })).toThrow('manifest: has no clips to split');
    const inconsistent = {
      ...manifest,
      entries: manifest.entries.map((e, i) => (i === 0 ? { ...e, gender: 'male' as const, genderIndex: 1 } : e)),
    };
    expect(() => speakerFolds(inconsistent)).toThrow(/speaker 'spk01' is labelled both/);
  });
});
