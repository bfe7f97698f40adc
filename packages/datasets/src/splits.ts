import { SeededRandom } from '@mtl/common';
import type { CorpusName, Gender, Manifest } from './manifest.js';

/** One train/validation/test partition of a manifest's clips (ids, sorted). */
export interface SplitFold {
  name: string;
  train: string[];
  validation: string[];
  test: string[];
  trainSpeakers: string[];
  validationSpeakers: string[];
  testSpeakers: string[];
}

export interface SplitPlan {
  format: 'mtl-split';
  version: 1;
  name: string;
  corpus: CorpusName;
  /** False for the paper's random split, where one speaker's clips land in train and test alike. */
  speakerIndependent: boolean;
  seed: number;
  folds: SplitFold[];
}

export interface SpeakerSplitOptions {
  /** Seeds the choice of validation speakers (and the fold assignment where it is random). Default 0. */
  seed?: number;
  /** Validation speakers of each gender, carved from each fold's training speakers. Default 1. */
  validationSpeakersPerGender?: number;
}

interface SpeakerGroup {
  name: string;
  speakers: string[];
}

const sorted = (values: Iterable<string>) => [...values].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));

function speakerGenders(manifest: Manifest): Map<string, Gender> {
  const genders = new Map<string, Gender>();
  for (const entry of manifest.entries) {
    const known = genders.get(entry.speaker);
    if (known && known !== entry.gender) {
      throw new Error(
        `manifest: speaker '${entry.speaker}' is labelled both ${known} and ${entry.gender} (clip ${entry.id})`,
      );
    }
    genders.set(entry.speaker, entry.gender);
  }
  if (genders.size === 0) throw new Error('manifest: has no clips to split');
  return genders;
}

function checkSeed(seed: number): number {
  if (!Number.isInteger(seed)) throw new Error(`option seed: expected an integer, got ${seed}`);
  return seed;
}

/** Test speakers per group; validation speakers drawn per gender from the rest; the others train. */
function foldsFromGroups(
  manifest: Manifest,
  groups: SpeakerGroup[],
  random: SeededRandom,
  perGender: number,
): SplitFold[] {
  if (!Number.isInteger(perGender) || perGender < 0) {
    throw new Error(`option validationSpeakersPerGender: expected a whole number >= 0, got ${perGender}`);
  }
  const genders = speakerGenders(manifest);
  const clipsOf = new Map<string, string[]>();
  for (const entry of manifest.entries) clipsOf.set(entry.speaker, [...(clipsOf.get(entry.speaker) ?? []), entry.id]);
  const clipIds = (speakers: string[]) => sorted(speakers.flatMap((s) => clipsOf.get(s) ?? []));

  return groups.map(({ name, speakers }) => {
    const test = new Set(speakers);
    const rest = sorted([...genders.keys()].filter((s) => !test.has(s)));
    const validation: string[] = [];
    for (const gender of ['female', 'male'] as const) {
      const candidates = rest.filter((s) => genders.get(s) === gender);
      if (candidates.length < perGender + (perGender > 0 ? 1 : 0)) {
        throw new Error(
          `option validationSpeakersPerGender: ${perGender} ${gender} validation speaker(s) for '${name}' would leave no ${gender} training speaker (only ${candidates.length} outside the test fold)`,
        );
      }
      validation.push(...random.shuffle(candidates).slice(0, perGender));
    }
    const train = rest.filter((s) => !validation.includes(s));
    return {
      name,
      train: clipIds(train),
      validation: clipIds(validation),
      test: clipIds(speakers),
      trainSpeakers: train,
      validationSpeakers: sorted(validation),
      testSpeakers: sorted(speakers),
    };
  });
}

function plan(
  manifest: Manifest,
  name: string,
  seed: number,
  folds: SplitFold[],
  speakerIndependent = true,
): SplitPlan {
  return { format: 'mtl-split', version: 1, name, corpus: manifest.corpus, speakerIndependent, seed, folds };
}

/** IEMOCAP's standard: one fold per session, whose two speakers (one female, one male) are the test set. */
export function leaveOneSessionOut(manifest: Manifest, options: SpeakerSplitOptions = {}): SplitPlan {
  const seed = checkSeed(options.seed ?? 0);
  const sessions = new Map<string, Set<string>>();
  for (const entry of manifest.entries) {
    if (!entry.session)
      throw new Error(`manifest: clip '${entry.id}' has no session, so leave-one-session-out cannot place it`);
    sessions.set(entry.session, (sessions.get(entry.session) ?? new Set()).add(entry.speaker));
  }
  if (sessions.size < 2)
    throw new Error(`manifest: leave-one-session-out needs at least 2 sessions, found ${sessions.size}`);
  const groups = sorted(sessions.keys()).map((session) => ({
    name: `test ${session}`,
    speakers: sorted(sessions.get(session) as Set<string>),
  }));
  return plan(
    manifest,
    'leave-one-session-out',
    seed,
    foldsFromGroups(manifest, groups, new SeededRandom(seed), options.validationSpeakersPerGender ?? 1),
  );
}

/** RAVDESS's standard: folds by actor number (01-04, 05-08, ...: 6 folds of 2 female + 2 male actors for the full corpus), whichever actors are missing. */
export function ravdessActorFolds(
  manifest: Manifest,
  options: SpeakerSplitOptions & { actorsPerFold?: number } = {},
): SplitPlan {
  const seed = checkSeed(options.seed ?? 0);
  const perFold = options.actorsPerFold ?? 4;
  if (!Number.isInteger(perFold) || perFold < 1)
    throw new Error(`option actorsPerFold: expected a whole number >= 1, got ${perFold}`);
  const actors = sorted(speakerGenders(manifest).keys());
  // By actor number, not position: with an actor missing (the song set has no Actor_18) the
  // other folds stay 01-04, 05-08, ... and only that actor's fold is smaller.
  const byFold = new Map<number, string[]>();
  for (const actor of actors) {
    const number = /(\d+)$/.exec(actor)?.[1];
    if (number === undefined) throw new Error(`manifest: speaker '${actor}' has no actor number (RAVDESS: Actor_NN)`);
    const fold = Math.floor((Number(number) - 1) / perFold);
    byFold.set(fold, [...(byFold.get(fold) ?? []), actor]);
  }
  const groups: SpeakerGroup[] = [...byFold.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, speakers]) => ({ name: `test ${speakers.join(', ')}`, speakers }));
  if (groups.length < 2) throw new Error(`manifest: ${actors.length} actors make fewer than 2 folds of ${perFold}`);
  return plan(
    manifest,
    'actor-folds',
    seed,
    foldsFromGroups(manifest, groups, new SeededRandom(seed), options.validationSpeakersPerGender ?? 1),
  );
}

/**
 * Speaker-independent k folds: speakers shuffled by seed within each gender and dealt in
 * turn, so every fold holds a near-equal number of each gender (CREMA-D's 5 folds).
 */
export function speakerFolds(manifest: Manifest, options: SpeakerSplitOptions & { folds?: number } = {}): SplitPlan {
  const seed = checkSeed(options.seed ?? 0);
  const k = options.folds ?? 5;
  const genders = speakerGenders(manifest);
  if (!Number.isInteger(k) || k < 2 || k > genders.size) {
    throw new Error(
      `option folds: expected a whole number from 2 to the number of speakers (${genders.size}), got ${k}`,
    );
  }
  const random = new SeededRandom(seed);
  const dealt = (['female', 'male'] as const).flatMap((g) =>
    random.shuffle(sorted([...genders.keys()].filter((s) => genders.get(s) === g))),
  );
  const groups: SpeakerGroup[] = Array.from({ length: k }, (_, i) => ({
    name: `fold ${i + 1}`,
    speakers: [] as string[],
  }));
  for (const [i, speaker] of dealt.entries()) groups[i % k]?.speakers.push(speaker);
  return plan(
    manifest,
    `speaker-folds-${k}`,
    seed,
    foldsFromGroups(manifest, groups, random, options.validationSpeakersPerGender ?? 1),
  );
}

/**
 * The paper's split: clips shuffled with a fixed seed and cut 60/20/20. Speaker-dependent:
 * the same speakers appear in every part, so its scores are not comparable to the folds above.
 */
export function randomSplit(
  manifest: Manifest,
  options: { seed?: number; fractions?: [number, number, number] } = {},
): SplitPlan {
  const seed = checkSeed(options.seed ?? 0);
  const fractions = options.fractions ?? [0.6, 0.2, 0.2];
  const total = fractions.reduce((a, b) => a + b, 0);
  if (fractions.length !== 3 || fractions.some((f) => !(f >= 0)) || Math.abs(total - 1) > 1e-9) {
    throw new Error(
      `option fractions: expected three non-negative numbers (train, validation, test) summing to 1, got ${JSON.stringify(fractions)}`,
    );
  }
  if (manifest.entries.length === 0) throw new Error('manifest: has no clips to split');
  const ids = new SeededRandom(seed).shuffle(sorted(manifest.entries.map((e) => e.id)));
  const trainEnd = Math.round(ids.length * fractions[0]);
  const validationEnd = Math.round(ids.length * (fractions[0] + fractions[1]));
  const speakerOf = new Map(manifest.entries.map((e) => [e.id, e.speaker]));
  const part = (from: number, to: number) => sorted(ids.slice(from, to));
  const speakersOf = (clips: string[]) => sorted(new Set(clips.map((id) => speakerOf.get(id) as string)));
  const train = part(0, trainEnd);
  const validation = part(trainEnd, validationEnd);
  const test = part(validationEnd, ids.length);
  const fold: SplitFold = {
    name: 'random 60/20/20',
    train,
    validation,
    test,
    trainSpeakers: speakersOf(train),
    validationSpeakers: speakersOf(validation),
    testSpeakers: speakersOf(test),
  };
  return plan(manifest, 'random-60-20-20', seed, [fold], false);
}

/**
 * The field's standard split for the manifest's corpus: IEMOCAP leave-one-session-out,
 * RAVDESS 6 folds of 4 actors, CREMA-D 5 speaker folds; the synthetic corpus gets speaker
 * folds of one female and one male speaker each (as many folds as speaker pairs, at most 5).
 */
export function standardSplit(manifest: Manifest, options: SpeakerSplitOptions = {}): SplitPlan {
  switch (manifest.corpus) {
    case 'iemocap':
      return leaveOneSessionOut(manifest, options);
    case 'ravdess':
      return ravdessActorFolds(manifest, options);
    case 'crema-d':
      return speakerFolds(manifest, { ...options, folds: 5 });
    case 'synthetic': {
      const speakers = speakerGenders(manifest).size;
      return speakerFolds(manifest, { ...options, folds: Math.max(2, Math.min(5, Math.floor(speakers / 2))) });
    }
  }
}
