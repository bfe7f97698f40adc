import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { hashSeed } from '@mtl/common';
import { createStrategy, restoreStrategy, trainStep, type WeightingStrategy } from '@mtl/dynamic-loss';
import {
  type CnnVideoConfig,
  createModel,
  inputSpecOf,
  type Modal,
  type MultitaskModel,
  type PresetName,
  presetConfig,
  type VideoEncoderName,
  validateConfig,
} from '@mtl/models';
import * as tf from '@tensorflow/tfjs-core';
import packageJson from '../package.json' with { type: 'json' };
import {
  findCheckpoint,
  type LoopState,
  loadTrainingCheckpoint,
  removeStaleStaging,
  saveTrainingCheckpoint,
} from './checkpoint.js';
import { type CropMode, prepareData, type SplitChoice } from './data.js';
import { evalRecord, evaluateLoader, runClips, strategyWeights } from './evaluate.js';
import { GuardedAdam, NonFiniteGradients, nonFiniteGradients } from './guarded-adam.js';
import { ClipLoader, computeAudioStats, holdPrefetchThread, type LoaderClip } from './loader.js';
import {
  type EvalRecord,
  type Json,
  type LrSchedule,
  type PredictionRecord,
  RUN_FILES,
  RUN_FORMAT,
  type RunConfig,
  type RunStatus,
  type RunSummary,
  readRunConfig,
  readSummary,
  type Split,
  type TrainingSettings,
  validateRunConfig,
} from './run-store/index.js';
import { RunWriter } from './run-writer.js';
import { selectMetric } from './select-metric.js';

/** What `train` needs; everything else has the paper's or the project's default. */
export interface TrainConfig {
  /** Run folder name under `runsDir`; default a timestamp and the settings. */
  id?: string;
  data: { manifest: string; cacheDir: string; corpus?: string; dataDir?: string; crop?: CropMode };
  /** Default the corpus's standard speaker-independent split, first fold. */
  split?: Partial<SplitChoice>;
  /** Seeds the split, the model's initial weights, the shuffle and dropout. Default 0. */
  seed?: number;
  /** `framesPerChunk`: see CnnVideoConfig (the `cnn` encoder only). */
  model?: { preset?: PresetName; modal?: Modal; videoEncoder?: VideoEncoderName; framesPerChunk?: number };
  /** Any `@mtl/dynamic-loss` strategy by name and options. Default the paper's `softmax`. */
  weighting?: { method: string; options?: { [key: string]: Json } };
  training?: Partial<TrainingSettings>;
}

/** The paper's training settings (PAPER.md), with prefetch on. */
export const PAPER_TRAINING: TrainingSettings = {
  epochs: 100,
  batchSize: 1,
  lr: 1e-4,
  schedule: { kind: 'step', stepEpochs: 10, gamma: 0.1 },
  clipNorm: 1,
  patience: null,
  selectMetric: 'joint.nll',
  bucketByLength: false,
  prefetch: true,
};

export type TrainProgress =
  | {
      kind: 'step';
      epoch: number;
      epochs: number;
      batch: number;
      batches: number;
      step: number;
      loss: number;
      losses: Record<string, number>;
      examplesPerSecond: number;
    }
  | { kind: 'evaluating'; split: Split; batch: number; batches: number }
  | { kind: 'eval'; record: EvalRecord }
  | { kind: 'skipped'; clipId: string; reason: string }
  | { kind: 'checkpoint'; which: 'last' | 'best'; epoch: number };

export interface RunOptions {
  /** Stops the run after the current step; `last` is written and the run can be resumed. */
  signal?: AbortSignal;
  onProgress?: (event: TrainProgress) => void;
  /** Preprocessing worker processes for clips missing from the cache; default one per core. */
  workers?: number;
  /** How the message of an interrupted run says to resume. Default `mtl-trainer train --resume <runDir>`. */
  resumeCommand?: (runDir: string) => string;
}

export interface RunResult {
  runDir: string;
  status: RunStatus;
  summary: RunSummary;
  /** Set when interrupted: what to run to continue. */
  resumeCommand?: string;
}

/** A NaN or infinite loss or gradient, caught at the step that produced it, before the update. */
export class NonFiniteError extends Error {
  constructor(
    readonly step: number,
    readonly epoch: number,
    /** The tasks whose own loss, or whose loss's gradient, is not finite. */
    readonly tasks: string[],
    readonly clipIds: string[],
    /** `loss`, or `gradient` with the parameters (model paths) whose gradient is not finite. */
    readonly what: 'loss' | 'gradient',
    readonly parameters: string[] = [],
    /** True when the update had been applied (a finite gradient of a non-finite loss): the run stops either way. */
    readonly updated = false,
  ) {
    super(
      `non-finite ${what} at step ${step} (epoch ${epoch}), task ${tasks.join(', ')}, batch clips ${clipIds.join(', ')}${parameters.length > 0 ? `; parameters ${parameters.slice(0, 5).join(', ')}${parameters.length > 5 ? ` and ${parameters.length - 5} more` : ''}` : ''}; ${updated ? 'the run stops' : 'nothing was updated'}, checkpoints 'last' and 'best' keep the last good state`,
    );
    this.name = 'NonFiniteError';
  }
}

/**
 * Which tasks broke a step: each task's own loss and its gradient, on the same batch with
 * the same dropout, with the parameters as they were (the guarded optimiser refused the update).
 */
function diagnoseNonFinite(
  computeLosses: () => Record<string, tf.Scalar>,
  tasks: readonly string[],
  variables: tf.Variable[],
): { what: 'loss' | 'gradient'; tasks: string[] } {
  const lossTasks: string[] = [];
  const gradientTasks: string[] = [];
  for (const task of tasks) {
    const { value, grads } = tf.variableGrads(() => computeLosses()[task]!, variables);
    if (!Number.isFinite(value.dataSync()[0]!)) lossTasks.push(task);
    else if (nonFiniteGradients(grads).length > 0) gradientTasks.push(task);
    tf.dispose([value, ...Object.values(grads)]);
  }
  if (lossTasks.length > 0) return { what: 'loss', tasks: lossTasks };
  // Non-finite only in the combination (a strategy's own variables): every task shares the blame.
  return { what: 'gradient', tasks: gradientTasks.length > 0 ? gradientTasks : [...tasks] };
}

/** The learning rate of a 1-based epoch. */
export function learningRate(settings: Pick<TrainingSettings, 'lr' | 'schedule' | 'epochs'>, epoch: number): number {
  const schedule: LrSchedule = settings.schedule;
  switch (schedule.kind) {
    case 'constant':
      return settings.lr;
    case 'step':
      return settings.lr * schedule.gamma ** Math.floor((epoch - 1) / schedule.stepEpochs);
    case 'cosine': {
      const progress = settings.epochs <= 1 ? 0 : (epoch - 1) / (settings.epochs - 1);
      return schedule.minLr + ((settings.lr - schedule.minLr) * (1 + Math.cos(Math.PI * progress))) / 2;
    }
  }
}

/** What the run ran on: this package, tfjs, the backend and Node. */
function packageVersions(): Record<string, string> {
  return {
    [packageJson.name]: packageJson.version,
    '@tensorflow/tfjs-core': tf.version_core,
    backend: tf.getBackend(),
    node: process.versions.node,
  };
}

/** The commit of the git checkout the process runs in, when it runs in one. */
function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** Starts a new run in `runsDir` and trains it to the end (or until stopped). */
export async function train(config: TrainConfig, options: RunOptions & { runsDir: string }): Promise<RunResult> {
  const release = config.training?.prefetch === false ? undefined : holdPrefetchThread();
  try {
    return await startRun(config, options);
  } finally {
    await release?.();
  }
}

async function startRun(config: TrainConfig, options: RunOptions & { runsDir: string }): Promise<RunResult> {
  const seed = config.seed ?? 0;
  const training: TrainingSettings = { ...PAPER_TRAINING, ...config.training };
  const preset = config.model?.preset ?? 'compact';
  const modal = config.model?.modal ?? 'multi';
  const weighting = { method: config.weighting?.method ?? 'softmax', options: config.weighting?.options ?? {} };
  const split: SplitChoice = { name: config.split?.name ?? 'standard', fold: config.split?.fold ?? null };
  const id =
    config.id ?? `${new Date().toISOString().replace(/[:.]/g, '-')}_${preset}_${modal}_${weighting.method}_s${seed}`;
  const runDir = path.resolve(options.runsDir, id);
  if (existsSync(path.join(runDir, RUN_FILES.config))) {
    throw new Error(`train: run '${runDir}' already exists; resume it or choose another id`);
  }
  // Class counts come from the data, so the model is built after the manifest is read.
  const presetModel = presetConfig(preset, {
    modal,
    tasks: [
      { name: 'emotion', classes: 2 },
      { name: 'gender', classes: 2 },
    ],
    seed,
    ...(config.model?.videoEncoder && { videoEncoder: config.model.videoEncoder }),
  });
  const framesPerChunk = config.model?.framesPerChunk;
  if (framesPerChunk !== undefined && presetModel.video.encoder !== 'cnn') {
    throw new Error(
      `train: model.framesPerChunk applies to the 'cnn' video encoder only, not '${presetModel.video.encoder}'`,
    );
  }
  const probe = validateConfig(
    framesPerChunk === undefined
      ? presetModel
      : { ...presetModel, video: { ...presetModel.video, framesPerChunk } as CnnVideoConfig },
  );
  const spec = inputSpecOf(probe);
  const data = await prepareData({
    manifest: path.resolve(config.data.manifest),
    cacheDir: path.resolve(config.data.cacheDir),
    split,
    seed,
    spec,
    ...(options.workers !== undefined && { workers: options.workers }),
    ...(config.data.crop !== undefined && { crop: config.data.crop }),
  });
  if (data.clips.train.length === 0) throw new Error(`train: the split has no training clips that preprocessed`);
  const modelConfig = { ...probe, tasks: data.tasks.map((t) => ({ name: t.name, classes: t.classes.length })) };
  const audioStats = spec.audio
    ? await computeAudioStats(path.resolve(config.data.cacheDir), data.clips.train)
    : { mean: 0, std: 1 };
  const git = gitCommit();
  const runConfig: RunConfig = {
    format: RUN_FORMAT,
    id,
    createdAt: new Date().toISOString(),
    data: {
      corpus: config.data.corpus ?? data.manifest.corpus,
      dataDir: config.data.dataDir ?? data.manifest.root,
      manifest: path.resolve(config.data.manifest),
      cacheDir: path.resolve(config.data.cacheDir),
    },
    split,
    seed,
    model: { preset, modal, config: modelConfig as unknown as { [key: string]: Json } },
    weighting,
    tasks: data.tasks,
    training,
    preprocessing: data.preprocessing as unknown as { [key: string]: Json },
    audioStats,
    versions: packageVersions(),
    ...(git && { git }),
    clips: data.clips,
    ...(data.failed.length > 0 && {
      preprocessFailures: data.failed.map(({ id, file, reason }) => ({ id, reason, ...(file && { file }) })),
    }),
  };
  // Every setting is checked before anything is written: the schema, the metric, the strategy's options.
  validateRunConfig(runConfig, { file: `train config of run '${id}'` });
  const tasks = data.tasks.map((t) => t.name);
  selectMetric(training.selectMetric, tasks);
  createStrategy(weighting.method, { ...weighting.options, tasks }).dispose();
  const writer = new RunWriter(runDir);
  await writer.writeConfig(runConfig);
  return runSession(
    runDir,
    runConfig,
    undefined,
    options,
    data.failed.map((f) => ({ clipId: f.id, reason: f.reason })),
  );
}

/** Continues a run from its `last` checkpoint: later metrics equal those of an uninterrupted run. */
export async function resume(runDir: string, options: RunOptions = {}): Promise<RunResult> {
  const dir = path.resolve(runDir);
  const config = await readRunConfig(dir);
  const status = (await readSummary(dir))?.status;
  if (status === 'completed') throw new Error(`resume: run '${dir}' has already completed`);
  const last = await findCheckpoint(path.join(dir, RUN_FILES.checkpoints, 'last'));
  const release = config.training.prefetch === false ? undefined : holdPrefetchThread();
  try {
    return await runSession(dir, config, last ?? 'start', options, []);
  } finally {
    await release?.();
  }
}

/** Dropout's seed of a step: the same mask for every forward pass of that step, a new one each step. */
function dropoutSeed(seed: number, step: number): number {
  return hashSeed(seed, `dropout step ${step}`);
}

/** Mean softmax cross-entropy per task of a batch's logits. */
function taskLosses(
  logits: Record<string, tf.Tensor2D>,
  labels: Record<string, tf.Tensor1D>,
  tasks: readonly string[],
) {
  return Object.fromEntries(
    tasks.map((task) => {
      const logit = logits[task]!;
      const oneHot = tf.oneHot(labels[task]!, logit.shape[1]!);
      return [task, tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logit)), 1))) as tf.Scalar];
    }),
  );
}

interface Loaders {
  train: ClipLoader;
  /** The training split in order, when `evaluateTrain` is on. */
  trainEvaluation: ClipLoader | undefined;
  validation: ClipLoader | undefined;
  test: ClipLoader | undefined;
}

async function createLoaders(config: RunConfig, model: MultitaskModel): Promise<Loaders> {
  const clips = runClips(config);
  const base = {
    cacheDir: config.data.cacheDir,
    spec: model.inputSpec,
    tasks: config.tasks.map((t) => t.name),
    batchSize: config.training.batchSize,
    audioStats: config.audioStats,
    seed: config.seed,
    prefetch: config.training.prefetch ?? true,
  };
  const evaluation = async (list: LoaderClip[]) =>
    list.length === 0 ? undefined : ClipLoader.create({ ...base, clips: list, shuffle: false });
  return {
    train: await ClipLoader.create({
      ...base,
      clips: clips.train,
      bucketByLength: config.training.bucketByLength ?? false,
    }),
    trainEvaluation: config.training.evaluateTrain ? await evaluation(clips.train) : undefined,
    validation: await evaluation(clips.validation),
    test: await evaluation(clips.test),
  };
}

async function runSession(
  runDir: string,
  config: RunConfig,
  /** Where to continue from: a checkpoint folder, `'start'` for a resumed run that has none yet, or nothing for a new run. */
  from: string | 'start' | undefined,
  options: RunOptions,
  initialSkips: { clipId: string; reason: string }[],
): Promise<RunResult> {
  const writer = new RunWriter(runDir);
  const settings = config.training;
  const tasks = config.tasks.map((t) => t.name);
  const metric = selectMetric(settings.selectMetric, tasks);
  const model = createModel(config.model.config as never);
  const optimizer = new GuardedAdam(settings.lr);
  let strategy: WeightingStrategy = createStrategy(config.weighting.method, { ...config.weighting.options, tasks });
  let loop: LoopState = {
    position: { epoch: 1, batch: 0 },
    step: 0,
    epochLosses: { sums: Object.fromEntries(tasks.map((t) => [t, 0])), batches: 0 },
    best: { epoch: null, value: null },
    staleEpochs: 0,
    wallTime: 0,
    seed: config.seed,
  };
  const skippedClips = new Map(initialSkips.map((s) => [s.clipId, s.reason]));
  let loaders: Loaders | undefined;
  const started = performance.now();
  const wallTime = () => loop.wallTime + (performance.now() - started) / 1000;
  const summary = (status: RunStatus, extra: Partial<RunSummary> = {}): RunSummary => ({
    status,
    epochsCompleted: loop.position.epoch - 1,
    steps: loop.step,
    bestEpoch: loop.best.epoch,
    bestMetric: { name: metric.name, value: loop.best.value },
    wallTime: wallTime(),
    ...(skippedClips.size > 0 && {
      skippedClips: [...skippedClips].map(([clipId, reason]) => ({ clipId, reason })),
    }),
    ...extra,
  });
  const checkpoints = path.join(runDir, RUN_FILES.checkpoints);
  const save = async (which: 'last' | 'best') => {
    await saveTrainingCheckpoint(path.join(checkpoints, which), {
      model,
      optimizer,
      strategyState: strategy.state(),
      loop: { ...loop, wallTime: wallTime() },
    });
    options.onProgress?.({ kind: 'checkpoint', which, epoch: loop.position.epoch });
  };
  const noteSkips = (skips: { clipId: string; reason: string }[]) => {
    for (const { clipId, reason } of skips) {
      if (skippedClips.has(clipId)) continue;
      skippedClips.set(clipId, reason);
      options.onProgress?.({ kind: 'skipped', clipId, reason });
    }
  };

  try {
    await removeStaleStaging(checkpoints);
    if (from !== undefined && from !== 'start') {
      const restored = await loadTrainingCheckpoint(from, model, optimizer);
      strategy.dispose();
      strategy = restoreStrategy(restored.strategy);
      loop = restored.loop;
    }
    if (from !== undefined) {
      // Records past the checkpoint (a process killed before it could write `last`) are re-run, not repeated.
      const seen = loop;
      await writer.truncateMetrics((record) =>
        record.kind === 'step' ? record.step <= seen.step : record.epoch < seen.position.epoch,
      );
    }
    loaders = await createLoaders(config, model);
    const variables = model.trainableVariables();
    const { shared, lastSharedLayer } = model.variables();
    const paths = new Map(model.allVariables().map(({ path, variable }) => [variable.name, path]));
    await writer.writeSummary(summary('running'));

    let stoppedEarly = false;
    while (loop.position.epoch <= settings.epochs && !stoppedEarly) {
      const epoch = loop.position.epoch;
      const lr = learningRate(settings, epoch);
      optimizer.setLearningRate(lr);
      const batches = loaders.train.batchesPerEpoch;
      let stepStarted = performance.now();
      for await (const batch of loaders.train.epoch(epoch, loop.position.batch)) {
        try {
          noteSkips(batch.skipped);
          if (batch.inputs) {
            const inputs = batch.inputs;
            const step = loop.step + 1;
            const computeLosses = () =>
              taskLosses(
                model.forward(inputs, { training: true, seed: dropoutSeed(loop.seed, step) }),
                batch.labels,
                tasks,
              );
            let result: ReturnType<typeof trainStep>;
            try {
              result = trainStep({
                strategy,
                optimizer,
                variables,
                shared,
                lastSharedLayer,
                ...(settings.clipNorm !== null && { clipNorm: settings.clipNorm }),
                computeLosses,
              });
            } catch (error) {
              if (!(error instanceof NonFiniteGradients)) throw error;
              const found = diagnoseNonFinite(computeLosses, tasks, variables);
              const parameters = error.variables.map((name) => paths.get(name) ?? name);
              throw new NonFiniteError(step, epoch, found.tasks, batch.clipIds, found.what, parameters);
            }
            const bad = tasks.filter((t) => !Number.isFinite(result.losses[t]!));
            // A finite gradient of a non-finite loss (a strategy that zeroes a task's weight): not a step to keep either.
            if (bad.length > 0 || !Number.isFinite(result.loss)) {
              throw new NonFiniteError(step, epoch, bad.length > 0 ? bad : [...tasks], batch.clipIds, 'loss', [], true);
            }
            loop.step = step;
            for (const task of tasks) loop.epochLosses.sums[task]! += result.losses[task]!;
            loop.epochLosses.batches++;
            const now = performance.now();
            const examplesPerSecond = batch.clipIds.length / Math.max((now - stepStarted) / 1000, 1e-9);
            stepStarted = now;
            writer.appendMetrics({
              kind: 'step',
              step,
              epoch,
              wallTime: wallTime(),
              lr,
              loss: result.loss,
              lossUnweighted: tasks.reduce((sum, t) => sum + result.losses[t]!, 0),
              losses: result.losses,
              weights: result.weights,
              examplesPerSecond,
              batchSize: batch.clipIds.length,
              waitSeconds: batch.waitMs / 1000,
            });
            options.onProgress?.({
              kind: 'step',
              epoch,
              epochs: settings.epochs,
              batch: batch.index + 1,
              batches,
              step,
              loss: result.loss,
              losses: result.losses,
              examplesPerSecond,
            });
          }
        } finally {
          batch.dispose();
        }
        loop.position = { epoch, batch: batch.index + 1 };
        if (options.signal?.aborted) break;
      }
      if (options.signal?.aborted && loop.position.batch < batches) break;

      // The epoch is complete.
      const count = Math.max(loop.epochLosses.batches, 1);
      strategy.endEpoch(tasks.map((t) => loop.epochLosses.sums[t]! / count));
      loop.epochLosses = { sums: Object.fromEntries(tasks.map((t) => [t, 0])), batches: 0 };
      loop.position = { epoch: epoch + 1, batch: 0 };
      const evaluateSplit = async (split: Split, loader: ClipLoader) => {
        const evaluation = await evaluateLoader(model, loader, split, strategy.weights(), (batch, batches) =>
          options.onProgress?.({ kind: 'evaluating', split, batch, batches }),
        );
        noteSkips(evaluation.skipped);
        const record = evalRecord(evaluation, split, epoch, loop.step, wallTime(), strategy.weights());
        writer.appendMetrics(record);
        options.onProgress?.({ kind: 'eval', record });
        return evaluation;
      };
      if (loaders.trainEvaluation) await evaluateSplit('train', loaders.trainEvaluation);
      if (loaders.validation) {
        const evaluation = await evaluateSplit('validation', loaders.validation);
        const value = metric.value(evaluation.summary);
        if (loop.best.value === null || metric.better(value, loop.best.value)) {
          loop.best = { epoch, value };
          loop.staleEpochs = 0;
          await save('best');
        } else {
          loop.staleEpochs++;
        }
        stoppedEarly = settings.patience !== null && loop.staleEpochs >= settings.patience;
      } else {
        loop.best = { epoch, value: null };
        await save('best');
      }
      await save('last');
      await writer.writeSummary(summary('running'));
      if (options.signal?.aborted) break;
    }

    if (options.signal?.aborted && loop.position.epoch <= settings.epochs && !stoppedEarly) {
      await save('last');
      const resumeCommand = (options.resumeCommand ?? ((dir) => `mtl-trainer train --resume ${dir}`))(runDir);
      const final = summary('interrupted', { resume: resumeCommand });
      await writer.writeSummary(final);
      return { runDir, status: 'interrupted', summary: final, resumeCommand };
    }

    // Final evaluation of the best checkpoint on validation and test.
    const best = await findCheckpoint(path.join(checkpoints, 'best'));
    // The best checkpoint's task weights weigh its losses, as `evaluate` does later.
    const finalWeights = best
      ? strategyWeights((await loadTrainingCheckpoint(best, model, undefined)).strategy)
      : strategy.weights();
    const final: NonNullable<RunSummary['final']> = {};
    const predictions: PredictionRecord[] = [];
    const confusion: Record<string, Record<string, number[][]>> = {};
    for (const split of ['validation', 'test'] as const) {
      const loader = loaders[split];
      if (!loader) continue;
      const evaluation = await evaluateLoader(model, loader, split, finalWeights, (batch, batches) =>
        options.onProgress?.({ kind: 'evaluating', split, batch, batches }),
      );
      noteSkips(evaluation.skipped);
      final[split] = evaluation.summary;
      predictions.push(...evaluation.predictions);
      confusion[split] = Object.fromEntries(Object.entries(evaluation.summary.tasks).map(([t, m]) => [t, m.confusion]));
      if (split === 'test') {
        const record = evalRecord(
          evaluation,
          'test',
          loop.best.epoch ?? settings.epochs,
          loop.step,
          wallTime(),
          finalWeights,
        );
        writer.appendMetrics(record);
        options.onProgress?.({ kind: 'eval', record });
      }
    }
    await writer.writePredictions(predictions);
    await writer.writeJson(RUN_FILES.confusion, confusion);
    const done = summary('completed', { final, ...(stoppedEarly && { stoppedEarly: true }) });
    await writer.writeSummary(done);
    return { runDir, status: 'completed', summary: done };
  } catch (error) {
    await writer.writeSummary(summary('failed', { error: (error as Error).message })).catch(() => {});
    throw error;
  } finally {
    writer.close();
    await loaders?.train.close();
    await loaders?.trainEvaluation?.close();
    await loaders?.validation?.close();
    await loaders?.test?.close();
    strategy.dispose();
    optimizer.dispose();
    model.dispose();
  }
}
