import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '@mtl/common';
import type { CorpusName } from '@mtl/datasets';
import type { PreprocessOptions } from '@mtl/media';
import type { Modal, PresetName } from '@mtl/models';
import type { CropMode } from '@mtl/training';
import { CliError, EXIT } from './errors.js';

/**
 * What `prepare` leaves in its output folder, and `train` / `experiment` read:
 *   manifest.json   the usable clips (an @mtl/datasets manifest)
 *   cache/          the clip cache (@mtl/media), content-addressed, shared by every run
 *   prepared.json   this record: corpus, preprocessing, each clip's cache key, every problem
 */
export interface PreparedData {
  format: 'mtl-prepared/1';
  corpus: CorpusName;
  /** The corpus folder the manifest's media paths are relative to. */
  root: string;
  manifest: string;
  cacheDir: string;
  preset: PresetName;
  modal: Modal;
  preprocessing: PreprocessOptions;
  /** Clip id -> its key in the clip cache. */
  clips: Record<string, string>;
  /** Each file that could not be used: by the corpus loader or by preprocessing. */
  problems: DataProblem[];
  createdAt: string;
}

export interface DataProblem {
  stage: 'load' | 'preprocess';
  path: string;
  reason: string;
  id?: string;
}

export const PREPARED_FILE = 'prepared.json';
export const CROP_MODES = ['fixed', 'detect', 'full'] as const satisfies readonly CropMode[];

/** Writes a file atomically (readers see the old file or the new one), creating its folder. */
export async function writeText(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, text);
}

export const writeJson = (file: string, value: unknown) => writeText(file, `${JSON.stringify(value, null, 1)}\n`);

/** Reads `prepared.json` from a folder written by `prepare`; errors say how to make one. */
export async function readPreparedData(dir: string): Promise<PreparedData> {
  const file = join(resolve(dir), PREPARED_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new CliError(
      `${dir} is not a prepared data folder (no ${PREPARED_FILE}): run \`mtl-trainer prepare --root CORPUS --out ${dir}\` first`,
      EXIT.usage,
    );
  }
  const data = JSON.parse(text) as PreparedData;
  if (data.format !== 'mtl-prepared/1') {
    throw new CliError(
      `${file}: unknown format ${JSON.stringify(data.format)}; re-run \`mtl-trainer prepare\``,
      EXIT.usage,
    );
  }
  return data;
}
