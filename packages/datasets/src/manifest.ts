import { mkdir, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { writeFileAtomic } from '@mtl/common';
import type { Box } from '@mtl/media';

/** Gender classes in index order (the paper's convention: female=0, male=1). */
export const GENDER_CLASSES = ['female', 'male'] as const;
export type Gender = (typeof GENDER_CLASSES)[number];

export const CORPUS_NAMES = ['iemocap', 'ravdess', 'crema-d', 'synthetic'] as const;
export type CorpusName = (typeof CORPUS_NAMES)[number];

/** Seconds into a recording. */
export interface TimeRange {
  start: number;
  end: number;
}

export interface AudioSource {
  /** Relative to the manifest's root. */
  path: string;
  /** The speaker's channel when the file holds several (IEMOCAP dialog recordings). */
  channel?: number;
  /** Cut this range out of the file; absent means the whole file is the clip. */
  range?: TimeRange;
}

export interface VideoSource {
  /** Relative to the manifest's root. */
  path: string;
  /** Cut this range out of the file; absent means the whole file is the clip. */
  range?: TimeRange;
  /** Crop the speaker out of a multi-person frame (pixels of the source frame). */
  crop?: Box;
}

export interface EmotionLabel {
  /** The corpus's own code, e.g. 'exc' (IEMOCAP), '03' (RAVDESS), 'HAP' (CREMA-D). */
  code: string;
  /** The class name under the manifest's emotion map. */
  label: string;
  /** Index of `label` in the manifest's `emotionClasses`. */
  index: number;
}

export interface ManifestEntry {
  id: string;
  corpus: CorpusName;
  speaker: string;
  /** The recording session (IEMOCAP's Session1-5); absent for corpora without sessions. */
  session?: string;
  gender: Gender;
  /** Index of `gender` in GENDER_CLASSES. */
  genderIndex: number;
  emotion: EmotionLabel;
  audio?: AudioSource;
  video?: VideoSource;
  /** Where the utterance lies in its source recording, when it was cut from a longer one. */
  timeRange?: TimeRange;
  /** Corpus-specific facts kept for analysis: intensity, statement, level, ... */
  attributes?: Record<string, string | number>;
}

export const SKIP_KINDS = [
  'missing-labels',
  'malformed-labels',
  'malformed-name',
  'unknown-code',
  'unknown-speaker',
  'missing-media',
  'empty-media',
  'lfs-pointer',
  'not-media',
  'known-broken',
  'incomplete',
] as const;
export type SkipKind = (typeof SKIP_KINDS)[number];

/** Something a loader could not use, with the file (and line) and why. */
export interface SkippedItem {
  kind: SkipKind;
  path: string;
  reason: string;
  /** The clip it concerned, when known. */
  id?: string;
}

export interface Manifest {
  format: 'mtl-manifest';
  version: 1;
  corpus: CorpusName;
  /** Absolute folder the media paths are relative to. */
  root: string;
  /** Name of the emotion map in the corpus's label data, e.g. 'paper4'. */
  emotionMap: string;
  emotionClasses: string[];
  genderClasses: Gender[];
  entries: ManifestEntry[];
  /** Problems found while loading: each file or line that could not be used, and why. */
  skipped: SkippedItem[];
  /** Clips deliberately left out (not errors), counted per reason, e.g. "emotion 'fru' not in map 'paper4'". */
  excluded: Record<string, number>;
}

export class ManifestError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(
      `invalid manifest (${source}):\n  ${problems.slice(0, 20).join('\n  ')}${problems.length > 20 ? `\n  ... and ${problems.length - 20} more` : ''}`,
    );
    this.name = 'ManifestError';
  }
}

type Checker = (value: unknown, path: string, problems: string[]) => void;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));

function expectString(v: unknown, path: string, problems: string[]): v is string {
  if (typeof v === 'string' && v.length > 0) return true;
  problems.push(`${path}: expected a non-empty string, got ${describe(v)}`);
  return false;
}

function expectNumber(v: unknown, path: string, problems: string[], min = Number.NEGATIVE_INFINITY): v is number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= min) return true;
  problems.push(
    `${path}: expected a finite number${min > Number.NEGATIVE_INFINITY ? ` >= ${min}` : ''}, got ${describe(v)}`,
  );
  return false;
}

function expectOneOf<T extends string>(v: unknown, allowed: readonly T[], path: string, problems: string[]): v is T {
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return true;
  problems.push(`${path}: expected one of ${allowed.join(', ')}, got ${describe(v)}`);
  return false;
}

const checkRange: Checker = (v, path, problems) => {
  if (!isRecord(v)) return void problems.push(`${path}: expected {start, end}, got ${describe(v)}`);
  const ok = expectNumber(v.start, `${path}.start`, problems, 0) && expectNumber(v.end, `${path}.end`, problems, 0);
  if (ok && (v.end as number) <= (v.start as number))
    problems.push(`${path}: end (${v.end}) must be after start (${v.start})`);
};

const checkCrop: Checker = (v, path, problems) => {
  if (!isRecord(v)) return void problems.push(`${path}: expected {x, y, width, height}, got ${describe(v)}`);
  expectNumber(v.x, `${path}.x`, problems, 0);
  expectNumber(v.y, `${path}.y`, problems, 0);
  expectNumber(v.width, `${path}.width`, problems, 1);
  expectNumber(v.height, `${path}.height`, problems, 1);
};

function checkMedia(v: unknown, path: string, problems: string[], kind: 'audio' | 'video') {
  if (!isRecord(v)) return void problems.push(`${path}: expected an object with a path, got ${describe(v)}`);
  expectString(v.path, `${path}.path`, problems);
  if (v.range !== undefined) checkRange(v.range, `${path}.range`, problems);
  if (kind === 'audio' && v.channel !== undefined) expectNumber(v.channel, `${path}.channel`, problems, 0);
  if (kind === 'video' && v.crop !== undefined) checkCrop(v.crop, `${path}.crop`, problems);
}

function checkEntry(v: unknown, path: string, classes: string[], problems: string[]) {
  if (!isRecord(v)) return void problems.push(`${path}: expected an object, got ${describe(v)}`);
  expectString(v.id, `${path}.id`, problems);
  expectOneOf(v.corpus, CORPUS_NAMES, `${path}.corpus`, problems);
  expectString(v.speaker, `${path}.speaker`, problems);
  if (v.session !== undefined) expectString(v.session, `${path}.session`, problems);
  if (
    expectOneOf(v.gender, GENDER_CLASSES, `${path}.gender`, problems) &&
    v.genderIndex !== GENDER_CLASSES.indexOf(v.gender)
  ) {
    problems.push(
      `${path}.genderIndex: expected ${GENDER_CLASSES.indexOf(v.gender)} for '${v.gender}', got ${describe(v.genderIndex)}`,
    );
  }
  const emotion = v.emotion;
  if (!isRecord(emotion)) {
    problems.push(`${path}.emotion: expected {code, label, index}, got ${describe(emotion)}`);
  } else {
    expectString(emotion.code, `${path}.emotion.code`, problems);
    if (
      expectOneOf(emotion.label, classes, `${path}.emotion.label`, problems) &&
      emotion.index !== classes.indexOf(emotion.label)
    ) {
      problems.push(
        `${path}.emotion.index: expected ${classes.indexOf(emotion.label)} for '${emotion.label}', got ${describe(emotion.index)}`,
      );
    }
  }
  if (v.audio === undefined && v.video === undefined) problems.push(`${path}: has neither audio nor video`);
  if (v.audio !== undefined) checkMedia(v.audio, `${path}.audio`, problems, 'audio');
  if (v.video !== undefined) checkMedia(v.video, `${path}.video`, problems, 'video');
  if (v.timeRange !== undefined) checkRange(v.timeRange, `${path}.timeRange`, problems);
  if (v.attributes !== undefined && !isRecord(v.attributes))
    problems.push(`${path}.attributes: expected an object, got ${describe(v.attributes)}`);
}

/**
 * Checks that `value` is a well-formed manifest and returns it typed; throws a
 * ManifestError listing every problem with its JSON path otherwise.
 */
export function validateManifest(value: unknown, source = 'manifest'): Manifest {
  const problems: string[] = [];
  if (!isRecord(value)) throw new ManifestError(source, [`expected a JSON object, got ${describe(value)}`]);
  if (value.format !== 'mtl-manifest') problems.push(`format: expected "mtl-manifest", got ${describe(value.format)}`);
  if (value.version !== 1) problems.push(`version: expected 1, got ${describe(value.version)}`);
  expectOneOf(value.corpus, CORPUS_NAMES, 'corpus', problems);
  if (expectString(value.root, 'root', problems) && !isAbsolute(value.root))
    problems.push(`root: expected an absolute path, got ${describe(value.root)}`);
  expectString(value.emotionMap, 'emotionMap', problems);
  const classes = value.emotionClasses;
  const classesOk =
    Array.isArray(classes) && classes.length > 0 && classes.every((c) => typeof c === 'string' && c.length > 0);
  if (!classesOk) problems.push(`emotionClasses: expected a non-empty array of names, got ${describe(classes)}`);
  else if (new Set(classes).size !== classes.length)
    problems.push(`emotionClasses: names must be unique, got ${describe(classes)}`);
  if (JSON.stringify(value.genderClasses) !== JSON.stringify(GENDER_CLASSES)) {
    problems.push(`genderClasses: expected ${JSON.stringify(GENDER_CLASSES)}, got ${describe(value.genderClasses)}`);
  }
  if (!Array.isArray(value.entries)) {
    problems.push(`entries: expected an array, got ${describe(value.entries)}`);
  } else {
    const seen = new Set<string>();
    value.entries.forEach((entry, i) => {
      checkEntry(entry, `entries[${i}]`, classesOk ? (classes as string[]) : [], problems);
      const id = isRecord(entry) ? entry.id : undefined;
      if (typeof id === 'string') {
        if (seen.has(id)) problems.push(`entries[${i}].id: duplicate id '${id}'`);
        seen.add(id);
      }
    });
  }
  if (!Array.isArray(value.skipped)) {
    problems.push(`skipped: expected an array, got ${describe(value.skipped)}`);
  } else {
    for (const [i, item] of value.skipped.entries()) {
      if (!isRecord(item)) {
        problems.push(`skipped[${i}]: expected an object, got ${describe(item)}`);
        continue;
      }
      expectOneOf(item.kind, SKIP_KINDS, `skipped[${i}].kind`, problems);
      expectString(item.path, `skipped[${i}].path`, problems);
      expectString(item.reason, `skipped[${i}].reason`, problems);
    }
  }
  if (
    !isRecord(value.excluded) ||
    !Object.values(value.excluded).every((n) => Number.isInteger(n) && (n as number) > 0)
  ) {
    problems.push(`excluded: expected an object of positive counts, got ${describe(value.excluded)}`);
  }
  if (problems.length > 0) throw new ManifestError(source, problems);
  return value as unknown as Manifest;
}

/** Absolute path of an entry's media file. */
export function mediaPath(manifest: Pick<Manifest, 'root'>, source: AudioSource | VideoSource): string {
  return isAbsolute(source.path) ? source.path : join(manifest.root, source.path);
}

/** Writes the manifest as JSON, atomically (a reader never sees half a file). */
export async function writeManifest(file: string, manifest: Manifest): Promise<void> {
  validateManifest(manifest, file);
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify(manifest, null, 1)}\n`);
}

/** Reads and validates a manifest file; errors name the file. */
export async function readManifest(file: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ManifestError(file, [`cannot read the file: ${(error as Error).message}`]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(file, [`not valid JSON: ${(error as Error).message}`]);
  }
  return validateManifest(parsed, file);
}
