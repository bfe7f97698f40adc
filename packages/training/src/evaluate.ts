import path from 'node:path';
import { restoreStrategy, type StrategyState } from '@mtl/dynamic-loss';
import { type MediaClip, type PreprocessFailure, type PreprocessOptions, preprocess } from '@mtl/media';
import { createModel, type MultitaskModel } from '@mtl/models';
import * as tf from '@tensorflow/tfjs-core';
import { findCheckpoint, loadTrainingCheckpoint } from './checkpoint.js';
import { ClipLoader, type LoaderClip } from './loader.js';
import { taskMetrics } from './metrics.js';
import {
  type EvalRecord,
  type EvalSummary,
  type PredictionRecord,
  RUN_FILES,
  type RunConfig,
  readRunConfig,
  type Split,
  type TaskEvalMetrics,
} from './run-store/index.js';

/** The loader clips the run's config recorded per split. */
export function runClips(config: RunConfig): Record<Split, LoaderClip[]> {
  if (!config.clips) throw new Error(`run '${config.id}': config.json records no clips per split`);
  return config.clips;
}

export interface Evaluation {
  summary: EvalSummary;
  examples: number;
  skipped: { clipId: string; reason: string }[];
  seconds: number;
  predictions: PredictionRecord[];
}

/** Runs the model over a split without training; metrics per task and the per-clip probabilities. */
export async function evaluateLoader(
  model: MultitaskModel,
  loader: ClipLoader,
  split: Split,
  weights: Record<string, number>,
  onBatch?: (batch: number, batches: number) => void,
): Promise<Evaluation> {
  const started = performance.now();
  const tasks = loader.options.tasks;
  const logProbabilities: Record<string, number[][]> = Object.fromEntries(tasks.map((t) => [t, []]));
  const truth: Record<string, number[]> = Object.fromEntries(tasks.map((t) => [t, []]));
  const predictions: PredictionRecord[] = [];
  const skipped: Evaluation['skipped'] = [];
  const keys = new Map(loader.options.clips.map((clip) => [clip.id, clip.key]));
  for await (const batch of loader.epoch(1)) {
    try {
      skipped.push(...batch.skipped);
      if (!batch.inputs) continue;
      const rows = tf.tidy(() => {
        const logits = model.forward(batch.inputs!);
        return Object.fromEntries(tasks.map((t) => [t, tf.logSoftmax(logits[t]!).arraySync() as number[][]]));
      });
      batch.clipIds.forEach((clipId, i) => {
        const record: PredictionRecord = { clipId, split, truth: {}, probabilities: {}, cacheKey: keys.get(clipId)! };
        for (const task of tasks) {
          const label = batch.labels[task]!.dataSync()[i]!;
          logProbabilities[task]!.push(rows[task]![i]!);
          truth[task]!.push(label);
          record.truth[task] = label;
          record.probabilities[task] = rows[task]![i]!.map(Math.exp);
        }
        predictions.push(record);
      });
    } finally {
      batch.dispose();
    }
    onBatch?.(batch.index + 1, loader.batchesPerEpoch);
  }
  const perTask: Record<string, TaskEvalMetrics> = {};
  if (predictions.length > 0) {
    for (const task of tasks) perTask[task] = taskMetrics(logProbabilities[task]!, truth[task]!);
  }
  const nlls = tasks.map((t) => perTask[t]?.nll ?? Number.NaN);
  return {
    summary: {
      loss: tasks.reduce((sum, t, i) => sum + (weights[t] ?? 0) * nlls[i]!, 0),
      lossUnweighted: nlls.reduce((a, b) => a + b, 0),
      tasks: perTask,
    },
    examples: predictions.length,
    skipped,
    seconds: (performance.now() - started) / 1000,
    predictions,
  };
}

export function evalRecord(
  evaluation: Evaluation,
  split: Split,
  epoch: number,
  step: number,
  wallTime: number,
  weights: Record<string, number>,
): EvalRecord {
  return {
    kind: 'eval',
    step,
    epoch,
    split,
    wallTime,
    loss: evaluation.summary.loss,
    lossUnweighted: evaluation.summary.lossUnweighted,
    weights,
    examplesPerSecond: evaluation.examples / Math.max(evaluation.seconds, 1e-9),
    tasks: evaluation.summary.tasks,
    examples: evaluation.examples,
    skipped: evaluation.skipped.length,
  };
}

export interface EvaluateOptions {
  /** Which checkpoint; default `best`. */
  checkpoint?: 'best' | 'last';
}

/** Evaluates a run's checkpoint on one of its splits (the CLI's `eval`). */
export async function evaluate(runDir: string, split: Split, options: EvaluateOptions = {}): Promise<Evaluation> {
  const config = await readRunConfig(runDir);
  const clips = runClips(config)[split];
  if (clips.length === 0) throw new Error(`evaluate: run '${config.id}' has no ${split} clips`);
  const { model, weights } = await loadRunModel(runDir, config, options.checkpoint ?? 'best');
  const loader = await ClipLoader.create({
    cacheDir: config.data.cacheDir,
    clips,
    spec: model.inputSpec,
    tasks: config.tasks.map((t) => t.name),
    batchSize: config.training.batchSize,
    audioStats: config.audioStats,
    seed: config.seed,
    shuffle: false,
  });
  try {
    return await evaluateLoader(model, loader, split, weights);
  } finally {
    await loader.close();
    model.dispose();
  }
}

/** The task weights a saved strategy state stands for. */
export function strategyWeights(state: StrategyState): Record<string, number> {
  const strategy = restoreStrategy(state);
  try {
    return strategy.weights();
  } finally {
    strategy.dispose();
  }
}

/** The run's model with a checkpoint's weights (the caller disposes it), and the strategy's task weights then. */
export async function loadRunModel(
  runDir: string,
  config: RunConfig,
  which: 'best' | 'last',
): Promise<{ model: MultitaskModel; weights: Record<string, number> }> {
  const dir = await findCheckpoint(path.join(runDir, RUN_FILES.checkpoints, which));
  if (!dir) throw new Error(`run '${runDir}' has no complete '${which}' checkpoint`);
  const model = createModel(config.model.config as never);
  try {
    const { strategy } = await loadTrainingCheckpoint(dir, model, undefined);
    return { model, weights: strategyWeights(strategy) };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

export interface Prediction {
  clipId: string;
  /** Per task: probability of each class, by class name. */
  probabilities: Record<string, Record<string, number>>;
  /** Per task: the most probable class. */
  predicted: Record<string, string>;
}

/**
 * Runs a run's model on new media (the CLI's `predict`): the clips are preprocessed into the
 * run's clip cache with the run's preprocessing and normalised with its training statistics.
 */
export async function predict(
  runDir: string,
  clips: MediaClip[],
  options: EvaluateOptions & { workers?: number } = {},
): Promise<{ predictions: Prediction[]; failed: PreprocessFailure[] }> {
  const config = await readRunConfig(runDir);
  const prepared = await preprocess(clips, {
    ...(config.preprocessing as unknown as PreprocessOptions),
    cacheDir: config.data.cacheDir,
    log: false,
    ...(options.workers !== undefined && { workers: options.workers }),
  });
  const failed = [...prepared.failed];
  if (prepared.succeeded.length === 0) return { predictions: [], failed };
  const tasks = config.tasks.map((t) => t.name);
  const { model } = await loadRunModel(runDir, config, options.checkpoint ?? 'best');
  const loader = await ClipLoader.create({
    cacheDir: config.data.cacheDir,
    clips: prepared.succeeded.map(({ id, key, meta }) => ({
      id,
      key,
      frameCount: meta.frameCount,
      labels: Object.fromEntries(tasks.map((t) => [t, 0])),
    })),
    spec: model.inputSpec,
    tasks,
    batchSize: config.training.batchSize,
    audioStats: config.audioStats,
    seed: config.seed,
    shuffle: false,
  });
  try {
    const { predictions: records, skipped } = await evaluateLoader(model, loader, 'test', {});
    failed.push(...skipped.map(({ clipId, reason }) => ({ id: clipId, file: undefined, reason })));
    const predictions = records.map(({ clipId, probabilities }) => {
      const result: Prediction = { clipId, probabilities: {}, predicted: {} };
      for (const task of config.tasks) {
        const p = probabilities[task.name]!;
        result.probabilities[task.name] = Object.fromEntries(task.classes.map((name, i) => [name, p[i]!]));
        result.predicted[task.name] = task.classes[p.indexOf(Math.max(...p))]!;
      }
      return result;
    });
    return { predictions, failed };
  } finally {
    await loader.close();
    model.dispose();
  }
}
