import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { initBackend } from '@mtl/backend';
import { type LrSchedule, type RunResult, resume, type TrainProgress, train } from '@mtl/training';
import { stringify } from 'yaml';
import { defineCommand, type RunContext } from '../command.js';
import { CliError, EXIT, type ExitCode, usageError } from '../errors.js';
import type { ResolvedOptions } from '../option-types.js';
import { readPreparedData, writeText } from '../prepared-data.js';
import type { Progress } from '../progress.js';
import { type runOptions, trainOptions } from '../train-options.js';
import { checkWeighting, weightingHelp } from '../weighting.js';
import { formatEval } from './eval.js';

type TrainOptions = ResolvedOptions<typeof trainOptions>;

function schedule(options: Pick<TrainOptions, 'schedule' | 'lr'>): LrSchedule {
  switch (options.schedule) {
    case 'constant':
      return { kind: 'constant' };
    case 'step':
      return { kind: 'step', stepEpochs: 10, gamma: 0.1 };
    case 'cosine':
      return { kind: 'cosine', minLr: options.lr / 20 };
  }
}

/** The tfjs backend the options ask for; wasm threads default to one per core. */
export async function startBackend(
  options: Pick<ResolvedOptions<typeof runOptions>, 'backend' | 'threads'>,
  log: (line: string) => void,
) {
  const choice = await initBackend({ backend: options.backend, threads: options.threads ?? availableParallelism() });
  log(`backend: ${choice.name}${choice.threads ? ` (${choice.threads} threads)` : ''}: ${choice.reason}`);
  return choice;
}

/** A bar over the run's steps with the latest loss and validation metrics; a line per epoch where there is no terminal. */
function progressReporter(context: Pick<RunContext, 'log' | 'progress'>) {
  let bar: Progress | undefined;
  let lastEval = '';
  const onProgress = (event: TrainProgress) => {
    if (event.kind === 'step') {
      const total = event.epochs * event.batches;
      bar ??= context.progress('train', total);
      const done = (event.epoch - 1) * event.batches + event.batch;
      bar.update(done, {
        total,
        status: `epoch ${event.epoch}/${event.epochs} loss ${event.loss.toFixed(3)}${lastEval}`,
      });
    } else if (event.kind === 'eval' && event.record.split === 'validation') {
      lastEval = ` | val ${formatEval(event.record, true)}`;
      if (!process.stderr.isTTY) context.log(`epoch ${event.record.epoch}: validation ${formatEval(event.record)}`);
    } else if (event.kind === 'skipped') {
      context.log(`warning: clip ${event.clipId} skipped: ${event.reason}`);
    }
  };
  return { onProgress, stop: () => bar?.stop() };
}

export function describeResult(result: RunResult): string {
  const { summary } = result;
  const lines = [
    `run ${result.runDir}: ${summary.status} after ${summary.epochsCompleted} epochs (${summary.steps} steps, ${summary.wallTime.toFixed(0)} s)`,
  ];
  if (summary.bestEpoch !== null)
    lines.push(
      `best epoch ${summary.bestEpoch} by validation ${summary.bestMetric.name} = ${summary.bestMetric.value?.toFixed(4)}`,
    );
  for (const split of ['validation', 'test'] as const) {
    const final = summary.final?.[split];
    if (final) lines.push(`${split.padEnd(10)} ${formatEval(final)}`);
  }
  if (result.resumeCommand) lines.push(`interrupted: continue with \`${result.resumeCommand}\``);
  if (summary.error) lines.push(`error: ${summary.error}`);
  return lines.join('\n');
}

export function exitCodeOf(result: RunResult): ExitCode {
  return result.status === 'completed' ? EXIT.ok : result.status === 'interrupted' ? EXIT.interrupted : EXIT.failed;
}

export const trainCommand = defineCommand({
  name: 'train',
  summary: 'train one model on prepared data and write its run folder (resumable)',
  description: `Trains one model (preset, modal, weighting method) on one fold of a split of the prepared data,
evaluating on the validation split every epoch and keeping the best checkpoint by validation joint
NLL; then evaluates it on validation and test. Writes RUNS/RUN-ID/ (config.json with the fully
resolved configuration, metrics.jsonl, summary.json, checkpoints/, predictions.jsonl).

Options come from flags, then --config FILE (JSON or YAML, keys = long option names), then the
defaults. Ctrl-C finishes the current step, writes the last checkpoint and exits 130;
--resume RUN continues it exactly where it stopped.`,
  options: trainOptions,
  configFile: true,
  examples: [
    [
      'mtl-trainer train --data data/prepared --modal multi --weighting softmax',
      "the paper's dynamic weights, audio + video",
    ],
    [
      'mtl-trainer train --data data/prepared --modal audio --weighting static --weighting-option only=emotion',
      'an emotion-only audio model',
    ],
    ['mtl-trainer train --config run.yaml --epochs 5', 'options from a YAML file, epochs overridden'],
    ['mtl-trainer train --resume runs/2026-12-01T20-00-00_compact_multi_softmax_s1', 'continue an interrupted run'],
  ],
  moreHelp: weightingHelp,
  async run(options, context) {
    await startBackend(options, context.log);
    const reporter = progressReporter(context);
    const runOptions = { signal: context.signal, onProgress: reporter.onProgress, workers: 1 };
    let result: RunResult;
    try {
      if (options.resume) {
        context.log(`resuming ${resolve(options.resume)}`);
        result = await resume(options.resume, runOptions);
      } else {
        if (!options.data)
          throw usageError('missing --data DIR: the folder `mtl-trainer prepare --out DIR` wrote (or --resume RUN)');
        checkWeighting(options.weighting, options.weightingOption, '--weighting-option');
        const prepared = await readPreparedData(options.data);
        result = await train(
          {
            ...(options.runId ? { id: options.runId } : {}),
            data: {
              manifest: prepared.manifest,
              cacheDir: prepared.cacheDir,
              corpus: prepared.corpus,
              dataDir: resolve(options.data),
              ...(prepared.preprocessing.video && { crop: prepared.preprocessing.video.crop.mode }),
            },
            split: { name: options.split, fold: options.fold },
            seed: options.seed,
            model: {
              preset: options.preset,
              modal: options.modal,
              ...(options.framesPerChunk !== undefined && { framesPerChunk: options.framesPerChunk }),
            },
            weighting: { method: options.weighting, options: options.weightingOption as never },
            training: {
              epochs: options.epochs,
              batchSize: options.batchSize,
              lr: options.lr,
              schedule: schedule(options),
              clipNorm: options.clipNorm > 0 ? options.clipNorm : null,
              patience: options.patience > 0 ? options.patience : null,
              selectMetric: 'joint.nll',
            },
          },
          { ...runOptions, runsDir: resolve(options.out) },
        );
        // The options as given, next to the run's config.json: `--config` this file to train it again.
        const { resume: _r, json: _j, ...given } = options;
        await writeText(join(result.runDir, 'train-options.yaml'), stringify(given));
      }
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError((error as Error).message, EXIT.failed);
    } finally {
      reporter.stop();
    }
    context.print({ runDir: result.runDir, status: result.status, summary: result.summary }, () =>
      describeResult(result),
    );
    return exitCodeOf(result);
  },
});
