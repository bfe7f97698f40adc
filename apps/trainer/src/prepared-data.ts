import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type CorpusName, type Manifest, type ManifestEntry, mediaPath } from '@mtl/datasets';
import type { CropOptions, MediaClip, PreprocessOptions } from '@mtl/media';
import { type Modal, type PresetName, presetConfig } from '@mtl/models';
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
export const CROP_MODES = ['fixed', 'detect', 'full'] as const;
export type CropMode = (typeof CROP_MODES)[number];

/** The corpus's usual face crop: IEMOCAP's fixed speaker boxes, the whole frame for rendered faces, detection otherwise. */
export function defaultCrop(corpus: CorpusName): CropMode {
  return corpus === 'iemocap' ? 'fixed' : corpus === 'synthetic' ? 'full' : 'detect';
}

/** Preprocessing that feeds the preset's model: its frame rate, sample rate and frame size; the paper's 6 s cap. */
export function preprocessingFor(preset: PresetName, modal: Modal, crop: CropMode): PreprocessOptions {
  const model = presetConfig(preset, { modal: 'multi', tasks: [{ name: 'emotion', classes: 4 }] });
  const cropOptions: CropOptions = crop === 'detect' ? { mode: 'detect', detector: 'tiny' } : { mode: crop };
  return {
    fps: model.frameRate,
    maxSeconds: 6,
    remainder: 'drop',
    audio: modal === 'video' ? false : { sampleRate: model.audio.sampleRate, channel: 'mix' },
    video:
      modal === 'audio'
        ? false
        : { size: model.video.frameSize, color: model.video.channels === 1 ? 'grey' : 'rgb', crop: cropOptions },
  };
}

/** A manifest entry as @mtl/media's clip: absolute paths, one cut for both streams, the speaker's channel and box. */
export function mediaClip(manifest: Manifest, entry: ManifestEntry): MediaClip {
  const range = entry.video?.range ?? entry.audio?.range;
  return {
    id: entry.id,
    ...(entry.audio ? { audioPath: mediaPath(manifest, entry.audio) } : {}),
    ...(entry.video ? { videoPath: mediaPath(manifest, entry.video) } : {}),
    ...(range ? { start: range.start, end: range.end } : {}),
    ...(entry.audio?.channel !== undefined ? { channel: entry.audio.channel } : {}),
    ...(entry.video?.crop ? { faceBox: entry.video.crop } : {}),
  };
}

/** Writes JSON through a temporary file and a rename: readers see the old file or the new one. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 1)}\n`);
  await rename(temporary, file);
}

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
