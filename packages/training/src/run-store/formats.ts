/**
 * The run store, format `mtl-run/1`: the files of `runs/<id>/` and of `experiments/<name>/`,
 * as TypeScript types and as schemas the validator checks. The field names are agreed with
 * the viewer and the CLI; fields may be added, never renamed.
 */
import {
  anyJson,
  array,
  boolean,
  check,
  integer,
  nullable,
  number,
  type Origin,
  object,
  record,
  type Schema,
  string,
} from './schema.js';

export const RUN_FORMAT = 'mtl-run/1';
export const EXPERIMENT_FORMAT = 'mtl-experiment/1';

/** File names inside a run folder. */
export const RUN_FILES = {
  config: 'config.json',
  metrics: 'metrics.jsonl',
  summary: 'summary.json',
  predictions: 'predictions.jsonl',
  checkpoints: 'checkpoints',
  confusion: 'confusion.json',
} as const;

export const SPLITS = ['train', 'validation', 'test'] as const;
export type Split = (typeof SPLITS)[number];
export const MODALS = ['audio', 'video', 'multi'] as const;
export type RunModal = (typeof MODALS)[number];
export const RUN_STATUSES = ['running', 'completed', 'interrupted', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const SCHEDULES = ['constant', 'step', 'cosine'] as const;

/** A JSON value (what the model config and strategy options are made of). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The learning-rate schedule: constant; step (times `gamma` every `stepEpochs`); cosine to `minLr` over all epochs. */
export type LrSchedule =
  | { kind: 'constant' }
  | { kind: 'step'; stepEpochs: number; gamma: number }
  | { kind: 'cosine'; minLr: number };

export interface TrainingSettings {
  epochs: number;
  batchSize: number;
  lr: number;
  schedule: LrSchedule;
  /** Global gradient-norm clip; null for none. */
  clipNorm: number | null;
  /** Epochs without improvement of `selectMetric` before stopping; null never stops early. */
  patience: number | null;
  /** The validation metric that picks the best checkpoint, e.g. `joint.nll` or `emotion.ua` (see `selectMetric`). */
  selectMetric: string;
  /** Group clips of similar length into batches (less padding). */
  bucketByLength?: boolean;
  /** Assemble the next batch while the current one trains. */
  prefetch?: boolean;
  /** Also evaluate the training split after each epoch (an extra pass over it). */
  evaluateTrain?: boolean;
}

/** config.json: everything needed to reproduce the run. */
export interface RunConfig {
  format: typeof RUN_FORMAT;
  id: string;
  createdAt: string;
  data: { corpus: string; dataDir: string; manifest: string; cacheDir: string };
  split: { name: string; fold: number | null };
  seed: number;
  model: { preset: string; modal: RunModal; config: { [key: string]: Json } };
  weighting: { method: string; options: { [key: string]: Json } };
  tasks: { name: string; classes: string[] }[];
  training: TrainingSettings;
  preprocessing: { [key: string]: Json };
  /** Audio normalisation, computed on the training split only and reused at eval/predict. */
  audioStats: { mean: number; std: number };
  versions: Record<string, string>;
  git?: string;
  /** The clips of each split as the loader reads them: cache key, frames, class per task. */
  clips?: Record<Split, RunClip[]>;
  /** Clips that could not be preprocessed when the run started, and why. */
  preprocessFailures?: { id: string; file?: string; reason: string }[];
}

export interface RunClip {
  id: string;
  key: string;
  frameCount: number;
  labels: Record<string, number>;
}

/** One training step. */
export interface StepRecord {
  kind: 'step';
  step: number;
  epoch: number;
  /** Seconds since the run started (resumed runs continue the count). */
  wallTime: number;
  lr: number;
  /** The loss the strategy minimised. */
  loss: number;
  /** The plain sum of the task losses. */
  lossUnweighted: number;
  losses: Record<string, number>;
  weights: Record<string, number>;
  examplesPerSecond: number;
  /** Clips in the step's batch. */
  batchSize?: number;
  /** Seconds the step waited for its batch from the loader (the loader's share of the step). */
  waitSeconds?: number;
}

/** One task's metrics on one split. */
export interface TaskEvalMetrics {
  nll: number;
  accuracy: number;
  /** Unweighted accuracy: mean per-class recall over the classes present in the truth. */
  ua: number;
  /** Weighted accuracy: overall accuracy (what the emotion literature calls WA). */
  wa: number;
  /** Macro-F1 over the classes present in the truth or the predictions. */
  f1: number;
  /** confusion[truth][predicted] counts. */
  confusion: number[][];
}

/** One evaluation of a split. */
export interface EvalRecord {
  kind: 'eval';
  step: number;
  epoch: number;
  split: Split;
  wallTime: number;
  /** The task NLLs weighted with the strategy's current weights. */
  loss: number;
  /** The sum of the task NLLs. */
  lossUnweighted: number;
  weights: Record<string, number>;
  examplesPerSecond: number;
  tasks: Record<string, TaskEvalMetrics>;
  /** Clips evaluated, and clips skipped because they failed to load. */
  examples?: number;
  skipped?: number;
}

export type MetricsRecord = StepRecord | EvalRecord;

/** What a summary keeps of an evaluation. */
export interface EvalSummary {
  loss: number;
  lossUnweighted: number;
  tasks: Record<string, TaskEvalMetrics>;
}

/** summary.json, rewritten (atomically) as the run goes. */
export interface RunSummary {
  status: RunStatus;
  epochsCompleted: number;
  steps: number;
  bestEpoch: number | null;
  bestMetric: { name: string; value: number | null };
  wallTime: number;
  error?: string;
  final?: { validation?: EvalSummary; test?: EvalSummary };
  /** Clip ids that failed to load and were skipped, with the reason. */
  skippedClips?: { clipId: string; reason: string }[];
  /** The command that continues an interrupted run. */
  resume?: string;
  /** The run ended before its last epoch: `patience` epochs without a better validation metric. */
  stoppedEarly?: boolean;
}

/** One line of predictions.jsonl: the final evaluation of one clip. */
export interface PredictionRecord {
  clipId: string;
  split: Split;
  truth: Record<string, number>;
  probabilities: Record<string, number[]>;
  cacheKey?: string;
}

export interface MetricStat {
  mean: number;
  std: number;
  n: number;
}

export interface ExperimentRow {
  modal: RunModal;
  weighting: { method: string; options: { [key: string]: Json }; label: string };
  runs: string[];
  failed: { runId: string; reason: string }[];
  metrics: Record<string, MetricStat>;
}

/** experiments/<name>/results.json, written by `mtl-trainer experiment`. */
export interface ExperimentResults {
  format: typeof EXPERIMENT_FORMAT;
  name: string;
  protocol: {
    corpus: string;
    split: string;
    speakerIndependent: boolean;
    seeds: number[];
    folds: number[];
    epochs: number;
    preset: string;
  };
  rows: ExperimentRow[];
}

/** The metric names an experiment table reports. */
export const EXPERIMENT_METRICS = [
  'emotion.nll',
  'gender.nll',
  'joint.nll',
  'emotion.ua',
  'emotion.wa',
  'emotion.f1',
  'gender.accuracy',
] as const;

const numbers = record(number());
const jsonObject = record(anyJson);

const taskMetricsSchema = object({
  nll: number(),
  accuracy: number(),
  ua: number(),
  wa: number(),
  f1: number(),
  confusion: array(array(integer())),
});

const evalSummarySchema = object({ loss: number(), lossUnweighted: number(), tasks: record(taskMetricsSchema) });

const configSchema = object(
  {
    format: string([RUN_FORMAT]),
    id: string(),
    createdAt: string(),
    data: object({ corpus: string(), dataDir: string(), manifest: string(), cacheDir: string() }),
    split: object({ name: string(), fold: nullable(integer()) }),
    seed: integer(),
    model: object({ preset: string(), modal: string(MODALS), config: jsonObject }),
    weighting: object({ method: string(), options: jsonObject }),
    tasks: array(object({ name: string(), classes: array(string()) })),
    training: object(
      {
        epochs: integer(1),
        batchSize: integer(1),
        lr: number({ min: 0 }),
        schedule: object({ kind: string(SCHEDULES) }),
        clipNorm: nullable(number({ min: 0 })),
        patience: nullable(integer(1)),
        selectMetric: string(),
        bucketByLength: boolean,
        prefetch: boolean,
        evaluateTrain: boolean,
      },
      ['bucketByLength', 'prefetch', 'evaluateTrain'],
    ),
    preprocessing: jsonObject,
    audioStats: object({ mean: number(), std: number({ min: 0 }) }),
    versions: record(string()),
    git: string(),
    clips: object(
      Object.fromEntries(
        SPLITS.map((split) => [
          split,
          array(object({ id: string(), key: string(), frameCount: integer(1), labels: record(integer()) })),
        ]),
      ),
    ),
    preprocessFailures: array(object({ id: string(), reason: string() })),
  },
  ['git', 'clips', 'preprocessFailures'],
);

const stepSchema = object(
  {
    kind: string(['step']),
    step: integer(1),
    epoch: integer(1),
    wallTime: number({ min: 0 }),
    lr: number({ min: 0 }),
    loss: number(),
    lossUnweighted: number(),
    losses: numbers,
    weights: numbers,
    examplesPerSecond: number({ min: 0 }),
    batchSize: integer(1),
    waitSeconds: number({ min: 0 }),
  },
  ['batchSize', 'waitSeconds'],
);

const evalSchema = object(
  {
    kind: string(['eval']),
    step: integer(0),
    epoch: integer(1),
    split: string(SPLITS),
    wallTime: number({ min: 0 }),
    loss: number(),
    lossUnweighted: number(),
    weights: numbers,
    examplesPerSecond: number({ min: 0 }),
    tasks: record(taskMetricsSchema),
    examples: integer(0),
    skipped: integer(0),
  },
  ['examples', 'skipped'],
);

const summarySchema = object(
  {
    status: string(RUN_STATUSES),
    epochsCompleted: integer(0),
    steps: integer(0),
    bestEpoch: nullable(integer(1)),
    bestMetric: object({ name: string(), value: nullable(number()) }),
    wallTime: number({ min: 0 }),
    error: string(),
    final: object({ validation: evalSummarySchema, test: evalSummarySchema }, ['validation', 'test']),
    skippedClips: array(object({ clipId: string(), reason: string() })),
    resume: string(),
    stoppedEarly: boolean,
  },
  ['error', 'final', 'skippedClips', 'resume', 'stoppedEarly'],
);

const predictionSchema = object(
  {
    clipId: string(),
    split: string(SPLITS),
    truth: record(integer()),
    probabilities: record(array(number())),
    cacheKey: string(),
  },
  ['cacheKey'],
);

const experimentSchema = object({
  format: string([EXPERIMENT_FORMAT]),
  name: string(),
  protocol: object({
    corpus: string(),
    split: string(),
    speakerIndependent: boolean,
    seeds: array(integer()),
    folds: array(integer()),
    epochs: integer(1),
    preset: string(),
  }),
  rows: array(
    object({
      modal: string(MODALS),
      weighting: object({ method: string(), options: jsonObject, label: string() }),
      runs: array(string()),
      failed: array(object({ runId: string(), reason: string() })),
      metrics: record(object({ mean: number(), std: number({ min: 0 }), n: integer(0) })),
    }),
  ),
});

function validator<T>(schema: Schema): (value: unknown, origin: Origin) => T {
  return (value, origin) => {
    check(schema, value, origin);
    return value as T;
  };
}

/** Each returns its argument typed, or throws a `RunStoreError` naming the file, line and field. */
export const validateRunConfig = validator<RunConfig>(configSchema);
export const validateSummary = validator<RunSummary>(summarySchema);
export const validatePrediction = validator<PredictionRecord>(predictionSchema);
export const validateExperimentResults = validator<ExperimentResults>(experimentSchema);

export function validateMetricsRecord(value: unknown, origin: Origin): MetricsRecord {
  const kind = (value as { kind?: unknown } | null)?.kind;
  if (kind === 'eval') return validator<EvalRecord>(evalSchema)(value, origin);
  if (kind === 'step') return validator<StepRecord>(stepSchema)(value, origin);
  check(object({ kind: string(['step', 'eval']) }), value, origin);
  throw new Error('unreachable');
}
