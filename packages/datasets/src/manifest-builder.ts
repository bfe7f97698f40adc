import { stat } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { corpusLabels, emotionMap } from './label-maps.js';
import { formatSummary } from './load-summary.js';
import {
  type CorpusName,
  type EmotionLabel,
  GENDER_CLASSES,
  type Gender,
  type Manifest,
  type ManifestEntry,
  type SkipKind,
  type SkippedItem,
} from './manifest.js';
import { cachedMediaCheck } from './media-file.js';

export type Modality = 'audio' | 'video';

/** Options every corpus loader takes. */
export interface LoadOptions {
  /** Which emotion map of the corpus's label data to use (each corpus has a default, 'paper4'). */
  emotionMap?: string;
  /** Which streams the clips need; a clip missing one of them is skipped. Default both. */
  modalities?: Modality[];
  /** Where the loader prints its summary; false for silence. Default console.log. */
  log?: ((text: string) => void) | false;
}

/** Accumulates a manifest: maps emotion codes, checks media, records what was skipped and why. */
export class ManifestBuilder {
  readonly root: string;
  readonly modalities: ReadonlySet<Modality>;
  private readonly mapName: string;
  private readonly classes: string[];
  private readonly codeToClass: Record<string, string>;
  private readonly knownCodes: Record<string, string>;
  private readonly entries: ManifestEntry[] = [];
  private readonly skipped: SkippedItem[] = [];
  private readonly excluded: Record<string, number> = {};
  private readonly checkMedia = cachedMediaCheck();
  private readonly reportedMedia = new Set<string>();

  constructor(
    readonly corpus: CorpusName,
    root: string,
    private readonly options: LoadOptions,
  ) {
    this.root = resolve(root);
    const { name, map } = emotionMap(corpus, options.emotionMap);
    this.mapName = name;
    this.classes = map.classes;
    this.codeToClass = map.codes;
    this.knownCodes = corpusLabels(corpus).codes;
    const modalities = options.modalities ?? ['audio', 'video'];
    if (modalities.length === 0 || modalities.some((m) => m !== 'audio' && m !== 'video')) {
      throw new Error(
        `option modalities: expected a non-empty list of 'audio' and 'video', got ${JSON.stringify(modalities)}`,
      );
    }
    this.modalities = new Set(modalities);
  }

  /** Path relative to the corpus root, as the manifest stores it and the summary prints it. */
  relative(path: string): string {
    return relative(this.root, resolve(this.root, path));
  }

  skip(kind: SkipKind, path: string, reason: string, id?: string): void {
    this.skipped.push({ kind, path: this.relative(path), reason, ...(id ? { id } : {}) });
  }

  exclude(reason: string): void {
    this.excluded[reason] = (this.excluded[reason] ?? 0) + 1;
  }

  /** The label for a corpus code: undefined (and recorded) for an unknown code or one the map leaves out. */
  emotion(code: string, path: string, id: string): EmotionLabel | undefined {
    if (!Object.hasOwn(this.knownCodes, code)) {
      this.skip(
        'unknown-code',
        path,
        `unknown emotion code '${code}' (known: ${Object.keys(this.knownCodes).join(', ')})`,
        id,
      );
      return undefined;
    }
    const label = this.codeToClass[code];
    if (label === undefined) {
      this.exclude(`emotion '${code}' not in map '${this.mapName}'`);
      return undefined;
    }
    return { code, label, index: this.classes.indexOf(label) };
  }

  /** True when the media file is usable; otherwise records why not against the clip. */
  async usableMedia(path: string, id: string): Promise<boolean> {
    const problem = await this.checkMedia(resolve(this.root, path));
    const key = `${id}\0${path}`;
    if (problem && !this.reportedMedia.has(key)) {
      this.reportedMedia.add(key);
      this.skip(problem.kind, path, problem.reason, id);
    }
    return problem === undefined;
  }

  add(entry: Omit<ManifestEntry, 'corpus' | 'genderIndex'> & { gender: Gender }): void {
    this.entries.push({ ...entry, corpus: this.corpus, genderIndex: GENDER_CLASSES.indexOf(entry.gender) });
  }

  finish(): Manifest {
    const manifest: Manifest = {
      format: 'mtl-manifest',
      version: 1,
      corpus: this.corpus,
      root: this.root,
      emotionMap: this.mapName,
      emotionClasses: this.classes,
      genderClasses: [...GENDER_CLASSES],
      entries: this.entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
      skipped: this.skipped,
      excluded: this.excluded,
    };
    const log = this.options.log ?? console.log;
    if (log) log(formatSummary(manifest));
    return manifest;
  }
}

/** Throws a CorpusError when the corpus root is missing or not a folder, saying so in those words. */
export async function requireCorpusRoot(root: string): Promise<void> {
  const info = await stat(root).catch(() => undefined);
  if (info === undefined) throw new CorpusError(resolve(root), 'the corpus folder does not exist');
  if (!info.isDirectory()) throw new CorpusError(resolve(root), 'is a file, not a corpus folder');
}

/** Thrown when a folder cannot be read as the corpus at all (as opposed to single bad files, which are skipped). */
export class CorpusError extends Error {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'CorpusError';
  }
}
