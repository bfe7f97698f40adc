/**
 * The run store format v1 as the viewer reads it. @mtl/training owns the format and will
 * export these types and a validator from its tfjs-free entry `@mtl/training/run-store`;
 * until that lands, this file states the agreed fields and checks what the viewer relies on.
 */

export interface TaskSpec {
  name: string;
  classes: string[];
}

export interface RunConfig {
  format: 'mtl-run/1';
  id: string;
  createdAt: string;
  data: { corpus: string; dataDir: string; manifest: string; cacheDir: string };
  split: { name: string; fold: number | null };
  seed: number;
  model: { preset: string; modal: 'audio' | 'video' | 'multi'; config: unknown };
  weighting: { method: string; options: unknown };
  tasks: TaskSpec[];
  training: Record<string, unknown>;
  [field: string]: unknown;
}

export interface RunSummary {
  status: 'running' | 'completed' | 'interrupted' | 'failed';
  epochsCompleted: number;
  steps: number;
  bestEpoch?: number;
  bestMetric?: { name: string; value: number };
  wallTime: number;
  error?: string;
  [field: string]: unknown;
}

export interface TaskMetrics {
  nll: number;
  accuracy: number;
  ua: number;
  wa: number;
  f1: number;
  /** Rows are the truth. */
  confusion: number[][];
}

export interface StepRecord {
  kind: 'step';
  step: number;
  epoch: number;
  wallTime: number;
  lr: number;
  loss: number;
  lossUnweighted: number;
  losses: Record<string, number>;
  weights: Record<string, number>;
  examplesPerSecond: number;
}

export type EvalSplit = 'train' | 'validation' | 'test';

export interface EvalRecord {
  kind: 'eval';
  step: number;
  epoch: number;
  split: EvalSplit;
  wallTime: number;
  loss: number;
  lossUnweighted: number;
  weights: Record<string, number>;
  examplesPerSecond: number;
  tasks: Record<string, TaskMetrics>;
}

export type MetricsRecord = StepRecord | EvalRecord;

export interface PredictionRecord {
  clipId: string;
  split: string;
  truth: Record<string, number>;
  probabilities: Record<string, number[]>;
  cacheKey?: string;
}

export class RunStoreError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'RunStoreError';
  }
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function field(file: string, object: Json, path: string, type: 'string' | 'number' | 'object' | 'array'): unknown {
  let value: unknown = object;
  for (const key of path.split('.')) value = isObject(value) ? value[key] : undefined;
  const ok =
    type === 'array'
      ? Array.isArray(value)
      : type === 'object'
        ? isObject(value)
        : type === 'number'
          ? typeof value === 'number' && Number.isFinite(value)
          : typeof value === 'string';
  if (!ok)
    throw new RunStoreError(
      file,
      `${path} must be ${type === 'array' ? 'an' : 'a'} ${type}, got ${JSON.stringify(value)}`,
    );
  return value;
}

export function validateRunConfig(value: unknown, file = 'config.json'): RunConfig {
  if (!isObject(value)) throw new RunStoreError(file, 'expected a JSON object');
  if (value.format !== 'mtl-run/1') {
    throw new RunStoreError(file, `format must be "mtl-run/1", got ${JSON.stringify(value.format)}`);
  }
  for (const path of ['id', 'createdAt', 'data.corpus', 'data.cacheDir', 'split.name', 'model.preset', 'model.modal']) {
    field(file, value, path, 'string');
  }
  field(file, value, 'seed', 'number');
  field(file, value, 'weighting', 'object');
  field(file, value, 'weighting.method', 'string');
  const tasks = field(file, value, 'tasks', 'array') as unknown[];
  tasks.forEach((task, i) => {
    if (!isObject(task) || typeof task.name !== 'string' || !Array.isArray(task.classes)) {
      throw new RunStoreError(file, `tasks[${i}] must be { name, classes: string[] }`);
    }
  });
  return value as RunConfig;
}

const STATUSES = ['running', 'completed', 'interrupted', 'failed'];

export function validateRunSummary(value: unknown, file = 'summary.json'): RunSummary {
  if (!isObject(value)) throw new RunStoreError(file, 'expected a JSON object');
  if (!STATUSES.includes(value.status as string)) {
    throw new RunStoreError(file, `status must be one of ${STATUSES.join(', ')}, got ${JSON.stringify(value.status)}`);
  }
  return value as RunSummary;
}

export function validateMetricsRecord(value: unknown, file = 'metrics.jsonl'): MetricsRecord {
  if (!isObject(value)) throw new RunStoreError(file, 'expected a JSON object');
  if (value.kind !== 'step' && value.kind !== 'eval') {
    throw new RunStoreError(file, `kind must be "step" or "eval", got ${JSON.stringify(value.kind)}`);
  }
  for (const path of ['step', 'epoch', 'wallTime']) field(file, value, path, 'number');
  if (value.kind === 'eval') {
    if (!['train', 'validation', 'test'].includes(value.split as string)) {
      throw new RunStoreError(file, `split must be train, validation or test, got ${JSON.stringify(value.split)}`);
    }
    field(file, value, 'tasks', 'object');
  }
  return value as unknown as MetricsRecord;
}

export function validatePredictionRecord(value: unknown, file = 'predictions.jsonl'): PredictionRecord {
  if (!isObject(value)) throw new RunStoreError(file, 'expected a JSON object');
  field(file, value, 'clipId', 'string');
  field(file, value, 'truth', 'object');
  field(file, value, 'probabilities', 'object');
  if (value.cacheKey !== undefined) field(file, value, 'cacheKey', 'string');
  return value as unknown as PredictionRecord;
}
