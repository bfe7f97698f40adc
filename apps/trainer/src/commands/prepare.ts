import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import {
  CORPUS_NAMES,
  CorpusError,
  type CorpusName,
  detectCorpus,
  loadCorpus,
  type Manifest,
  toMediaClip,
  writeManifest,
} from '@mtl/datasets';
import { type PreprocessOptions, preprocess } from '@mtl/media';
import { inputSpecOf, type PresetName, presetConfig } from '@mtl/models';
import { type CropMode, preprocessingFor } from '@mtl/training';
import { defineCommand, type RunContext } from '../command.js';
import { CliError, EXIT, type ExitCode, usageError } from '../errors.js';
import { choice, flag, integer, path, required, text } from '../option-types.js';
import { CROP_MODES, type DataProblem, PREPARED_FILE, type PreparedData, writeJson } from '../prepared-data.js';

export const prepareOptions = {
  corpus: choice('which corpus the folder holds', [...CORPUS_NAMES, 'auto'] as const, {
    default: 'auto',
    defaultDoc: 'auto (detected from the files each publisher ships)',
  }),
  root: required(
    path('the corpus folder, as its publisher ships it (see README "Real corpora")', { value: 'DIR' }),
    'the corpus folder, e.g. --root data/synthetic (make one with `mtl-trainer synth --out data/synthetic`)',
  ),
  out: required(
    path('folder for the manifest, the clip cache and the report', { value: 'DIR' }),
    'where to write the prepared data, e.g. --out data/prepared',
  ),
  labels: text(
    "emotion map of the corpus's labels (iemocap: paper4, standard4; ravdess: paper4, all8; crema-d: paper4, all6)",
    {
      value: 'MAP',
      defaultDoc: 'paper4',
    },
  ),
  crop: choice("face crop: the corpus's fixed boxes (IEMOCAP), face detection, or the whole frame", CROP_MODES, {
    defaultDoc: 'fixed for IEMOCAP, full for synthetic, detect otherwise',
  }),
  modal: choice('streams to prepare: audio, video, or both (multi)', ['audio', 'video', 'multi'] as const, {
    default: 'multi',
  }),
  preset: choice(
    'model preset whose input the clips are cut for (frame rate, sample rate, frame size)',
    ['compact', 'paper'] as const,
    {
      default: 'compact',
    },
  ),
  workers: integer('preprocessing processes', { min: 0, defaultDoc: 'one per core' }),
  json: flag('print the result as JSON'),
};

export interface PrepareResult {
  data: PreparedData;
  usable: number;
  cached: number;
  problems: DataProblem[];
  exitCode: ExitCode;
}

/**
 * The clips' preprocessing is @mtl/training's for the preset's model inputs, so that `train`
 * finds every clip in the cache under the same key; `--crop` overrides its crop.
 */
function preprocessingOf(preset: PresetName, manifest: Manifest, crop: CropMode | undefined): PreprocessOptions {
  // An audio model's spec: video is then cached exactly when the corpus has it.
  const spec = inputSpecOf(presetConfig(preset, { modal: 'audio', tasks: [{ name: 'emotion', classes: 4 }] }));
  return preprocessingFor(spec, {
    video: manifest.entries.some((entry) => entry.video !== undefined),
    faceBoxes: manifest.entries.some((entry) => entry.video?.crop !== undefined),
    crop,
  });
}

async function isFolder(dir: string): Promise<boolean> {
  return stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/**
 * Loads the corpus, preprocesses every clip into the cache (clips already there are kept,
 * so a re-run resumes), and writes manifest.json + prepared.json. Bad files are collected,
 * never fatal: exit 0 when all is good, 3 when some failed, 1 when nothing is usable.
 */
export async function prepareData(
  options: {
    corpus: CorpusName | 'auto';
    root: string;
    out: string;
    labels?: string | undefined;
    crop?: CropMode | undefined;
    modal: 'audio' | 'video' | 'multi';
    preset: 'compact' | 'paper';
    workers?: number | undefined;
  },
  context: Pick<RunContext, 'log' | 'progress'>,
): Promise<PrepareResult> {
  const root = resolve(options.root);
  if (!(await isFolder(root))) {
    throw usageError(
      `corpus folder ${root} does not exist: pass --root the folder holding the corpus (or make the synthetic one with \`mtl-trainer synth --out ${options.root}\`)`,
    );
  }
  const corpus = options.corpus === 'auto' ? await detectCorpus(root) : options.corpus;
  if (!corpus) {
    throw usageError(
      `${root} holds no corpus this tool knows: expected IEMOCAP (Session1..5), RAVDESS (Actor_NN folders), CREMA-D (VideoDemographics.csv) or a synthetic corpus (labels.csv + corpus.json); see README "Real corpora", or pass --corpus`,
    );
  }
  const crop = options.crop;
  if (crop === 'fixed' && corpus !== 'iemocap') {
    throw usageError(
      `--crop fixed needs a face box per clip, which only IEMOCAP's loader gives (the paper's boxes); use --crop detect or --crop full for ${corpus}`,
    );
  }
  const modalities = options.modal === 'multi' ? (['audio', 'video'] as const) : ([options.modal] as const);
  let manifest: Awaited<ReturnType<typeof loadCorpus>>;
  try {
    manifest = await loadCorpus(root, {
      corpus,
      modalities: [...modalities],
      log: false,
      ...(options.labels ? { emotionMap: options.labels } : {}),
      // IEMOCAP: with video, audio is the dialog video's track cut to the same range (the speaker's channel).
      ...(corpus === 'iemocap'
        ? {
            audioSource: options.modal === 'audio' ? 'sentences' : 'dialog-video',
            crop: crop === 'fixed' ? 'paper' : 'none',
          }
        : {}),
    });
  } catch (error) {
    if (error instanceof CorpusError) throw new CliError(error.message, EXIT.failed);
    const message = (error as Error).message;
    if (message.includes('emotionMap')) throw usageError(`--labels: ${message.replace(/^option emotionMap: /, '')}`);
    throw error;
  }

  const out = resolve(options.out);
  const cacheDir = join(out, 'cache');
  const preprocessing = preprocessingOf(options.preset, manifest, crop);
  const problems: DataProblem[] = manifest.skipped
    .filter((item) => item.kind !== 'known-broken')
    .map((item) => ({
      stage: 'load',
      path: resolve(manifest.root, item.path),
      reason: item.reason,
      ...(item.id ? { id: item.id } : {}),
    }));
  const clips = manifest.entries.map((entry) => toMediaClip(manifest, entry));
  context.log(
    `prepare: ${corpus} at ${root}: ${clips.length} clips to preprocess${problems.length > 0 ? `, ${problems.length} unusable files` : ''} (${options.preset} preset: ${preprocessing.fps} frames/s${preprocessing.video ? `, face crop ${preprocessing.video.crop.mode}` : ''})`,
  );
  const bar = context.progress('prepare', clips.length);
  let result: Awaited<ReturnType<typeof preprocess>>;
  try {
    result = await preprocess(clips, {
      ...preprocessing,
      cacheDir,
      workers: options.workers ?? Math.min(availableParallelism(), Math.max(1, clips.length)),
      log: false,
      onProgress: (p) => bar.update(p.done + p.cached + p.failed, { status: `${p.cached} cached, ${p.failed} failed` }),
    });
  } finally {
    bar.stop();
  }
  for (const failure of result.failed) {
    problems.push({ stage: 'preprocess', path: failure.file ?? failure.id, reason: failure.reason, id: failure.id });
  }
  const usableIds = new Set(result.succeeded.map((s) => s.id));
  const usable = { ...manifest, entries: manifest.entries.filter((entry) => usableIds.has(entry.id)) };
  const data: PreparedData = {
    format: 'mtl-prepared/1',
    corpus,
    root: manifest.root,
    manifest: join(out, 'manifest.json'),
    cacheDir: result.cache.dir,
    preset: options.preset,
    modal: options.modal,
    preprocessing,
    clips: Object.fromEntries(result.succeeded.map((s) => [s.id, s.key])),
    problems,
    createdAt: new Date().toISOString(),
  };
  if (usable.entries.length > 0) {
    await writeManifest(data.manifest, usable);
    await writeJson(join(out, PREPARED_FILE), data);
  }
  const cached = result.succeeded.filter((s) => s.cached).length;
  const exitCode = usable.entries.length === 0 ? EXIT.failed : problems.length > 0 ? EXIT.partial : EXIT.ok;
  return { data, usable: usable.entries.length, cached, problems, exitCode };
}

export function formatProblems(problems: DataProblem[]): string {
  if (problems.length === 0) return '';
  const lines = [`${problems.length} file${problems.length === 1 ? '' : 's'} could not be used:`];
  for (const p of problems) lines.push(`  ${p.path}: ${p.reason}`);
  return lines.join('\n');
}

export const prepareCommand = defineCommand({
  name: 'prepare',
  summary: 'corpus folder -> manifest + preprocessed clip cache, with a report of every bad file',
  description: `Reads a corpus folder (IEMOCAP, RAVDESS, CREMA-D or the synthetic one), writes its manifest,
and preprocesses every clip (decode, cut, resample, face crop, resize) into a content-addressed
clip cache under --out. Bad files never stop the run: each is reported with its path and reason.
Re-running resumes: clips already in the cache are not redone.

Exit codes: 0 every clip prepared; 3 some files failed (listed), the rest prepared; 1 nothing
usable; 2 a wrong option or a missing folder.`,
  options: prepareOptions,
  examples: [
    ['mtl-trainer prepare --root data/synthetic --out data/prepared', 'the synthetic corpus, for the compact preset'],
    [
      'mtl-trainer prepare --corpus iemocap --root /data/IEMOCAP_full_release --out data/iemocap --labels standard4',
      "IEMOCAP with exc merged into happiness, the paper's fixed face boxes",
    ],
    [
      'mtl-trainer prepare --root /data/RAVDESS --out data/ravdess --crop detect --workers 8',
      'RAVDESS, faces found by detection',
    ],
  ],
  async run(options, context) {
    const started = performance.now();
    const result = await prepareData(options, context);
    const seconds = (performance.now() - started) / 1000;
    const summary = {
      dataDir: resolve(options.out),
      corpus: result.data.corpus,
      usable: result.usable,
      cached: result.cached,
      failed: result.problems.length,
      problems: result.problems,
      wallSeconds: seconds,
      exitCode: result.exitCode,
    };
    context.print(summary, () => {
      const lines = [formatProblems(result.problems)].filter((l) => l !== '');
      if (result.usable === 0) {
        lines.push(`nothing usable in ${result.data.root}: every clip failed (see above); nothing was written`);
      } else {
        lines.push(
          `prepared ${result.usable} clips (${result.cached} already cached) in ${seconds.toFixed(1)} s -> ${summary.dataDir}`,
          `next: mtl-trainer train --data ${options.out} --modal multi --weighting softmax --out runs`,
        );
      }
      return lines.join('\n');
    });
    return result.exitCode;
  },
});
