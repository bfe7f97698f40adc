import { type Manifest, randomSplit, readManifest, standardSplit, toMediaClip } from '@mtl/datasets';
import { type PreprocessFailure, type PreprocessOptions, preprocess } from '@mtl/media';
import type { InputSpec } from '@mtl/models';
import type { LoaderClip } from './loader.js';
import type { Split } from './run-store/index.js';

/** Which partition of the manifest: the corpus's standard (speaker-independent) folds, or the paper's random 60/20/20. */
export interface SplitChoice {
  name: 'standard' | 'random';
  /** Fold of a multi-fold split; null for the first (or only) one. */
  fold: number | null;
}

export interface PrepareDataOptions {
  manifest: string;
  cacheDir: string;
  split: SplitChoice;
  /** Seeds the split (validation speakers, random assignment). */
  seed: number;
  spec: InputSpec;
  /** Preprocessing worker processes; default one per core. */
  workers?: number;
  /** How frames are cropped; default the manifest's face boxes where it has them, else whole frames. */
  crop?: CropMode;
}

export interface PreparedData {
  manifest: Manifest;
  tasks: { name: string; classes: string[] }[];
  clips: Record<Split, LoaderClip[]>;
  /** Clips that could not be preprocessed: reported and left out. */
  failed: PreprocessFailure[];
  preprocessing: PreprocessOptions;
}

/** How a clip's frames are cropped: the manifest's face boxes, face detection, or whole frames. */
export type CropMode = 'fixed' | 'detect' | 'full';

/**
 * The preprocessing a model's inputs need. Video is cached too when the corpus has it, so
 * audio, video and multi runs share one cache; frames are cropped as `corpus.crop` says,
 * by default to the manifest's face boxes where it has them, else kept whole.
 */
export function preprocessingFor(
  spec: InputSpec,
  corpus: { video: boolean; faceBoxes: boolean; crop?: CropMode | undefined },
): PreprocessOptions {
  const crop = corpus.crop ?? (corpus.faceBoxes ? 'fixed' : 'full');
  return {
    fps: spec.fps,
    maxSeconds: 6,
    remainder: 'drop',
    audio: { sampleRate: spec.sampleRate, channel: 'mix' },
    video:
      corpus.video || spec.video
        ? {
            size: spec.frameSize,
            color: spec.channels === 3 ? 'rgb' : 'grey',
            crop: { mode: crop },
          }
        : false,
  };
}

/**
 * Reads the manifest, splits it, and makes sure the clip cache holds every clip (clips
 * already cached are only looked up): the loader's clips per split with their labels.
 */
export async function prepareData(options: PrepareDataOptions): Promise<PreparedData> {
  const manifest = await readManifest(options.manifest);
  const plan =
    options.split.name === 'random'
      ? randomSplit(manifest, { seed: options.seed })
      : standardSplit(manifest, { seed: options.seed });
  const foldIndex = options.split.fold ?? 0;
  const fold = plan.folds[foldIndex];
  if (!fold) {
    throw new Error(`split '${plan.name}' has ${plan.folds.length} folds; fold ${foldIndex} does not exist`);
  }
  const preprocessing = preprocessingFor(options.spec, {
    video: manifest.entries.some((entry) => entry.video !== undefined),
    faceBoxes: manifest.entries.some((entry) => entry.video?.crop !== undefined),
    crop: options.crop,
  });
  const byId = new Map(manifest.entries.map((entry) => [entry.id, entry]));
  const ids = [...fold.train, ...fold.validation, ...fold.test];
  const result = await preprocess(
    ids.map((id) => toMediaClip(manifest, byId.get(id)!)),
    {
      ...preprocessing,
      cacheDir: options.cacheDir,
      log: false,
      ...(options.workers !== undefined && { workers: options.workers }),
    },
  );
  const cached = new Map(result.succeeded.map((clip) => [clip.id, clip]));
  const loaderClips = (split: string[]): LoaderClip[] =>
    split.flatMap((id) => {
      const clip = cached.get(id);
      const entry = byId.get(id)!;
      return clip
        ? [
            {
              id,
              key: clip.key,
              frameCount: clip.meta.frameCount,
              labels: { emotion: entry.emotion.index, gender: entry.genderIndex },
            },
          ]
        : [];
    });
  return {
    manifest,
    tasks: [
      { name: 'emotion', classes: manifest.emotionClasses },
      { name: 'gender', classes: [...manifest.genderClasses] },
    ],
    clips: { train: loaderClips(fold.train), validation: loaderClips(fold.validation), test: loaderClips(fold.test) },
    failed: result.failed,
    preprocessing,
  };
}
