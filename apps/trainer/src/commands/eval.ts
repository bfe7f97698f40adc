import { resolve } from 'node:path';
import { type EvalSummary, evaluate, SPLITS } from '@mtl/training';
import { defineCommand } from '../command.js';
import { CliError, EXIT } from '../errors.js';
import { choice, flag, path, required } from '../option-types.js';
import { runOptions } from '../train-options.js';
import { startBackend } from './train.js';

/** One evaluation in a line: the table's metrics. */
export function formatEval(summary: Pick<EvalSummary, 'lossUnweighted' | 'tasks'>, short = false): string {
  const emotion = summary.tasks.emotion;
  const gender = summary.tasks.gender;
  const parts = [
    `joint NLL ${summary.lossUnweighted.toFixed(3)}`,
    ...(emotion
      ? [
          `emotion UA ${emotion.ua.toFixed(3)}${short ? '' : ` WA ${emotion.wa.toFixed(3)} F1 ${emotion.f1.toFixed(3)} NLL ${emotion.nll.toFixed(3)}`}`,
        ]
      : []),
    ...(gender ? [`gender acc ${gender.accuracy.toFixed(3)}${short ? '' : ` NLL ${gender.nll.toFixed(3)}`}`] : []),
  ];
  return parts.join(', ');
}

export const evalCommand = defineCommand({
  name: 'eval',
  summary: "evaluate a run's checkpoint on one of its splits",
  description: `Loads a run's best (or last) checkpoint and evaluates it on the run's own train, validation or
test clips: per-task NLL, accuracy, UA, WA, macro-F1 and the confusion matrix.`,
  options: {
    run: required(
      path('the run folder', { value: 'DIR' }),
      'a run folder written by `mtl-trainer train`, e.g. --run runs/<id>',
    ),
    split: choice("which of the run's splits", SPLITS, { default: 'test' }),
    checkpoint: choice('which checkpoint', ['best', 'last'] as const, { default: 'best' }),
    backend: runOptions.backend,
    threads: runOptions.threads,
    json: flag('print the evaluation as JSON'),
  },
  examples: [
    ['mtl-trainer eval --run runs/<id>', 'the best checkpoint on the test split'],
    [
      'mtl-trainer eval --run runs/<id> --split validation --checkpoint last --json',
      'the last one on validation, as JSON',
    ],
  ],
  async run(options, context) {
    await startBackend(options, context.log);
    let evaluation: Awaited<ReturnType<typeof evaluate>>;
    try {
      evaluation = await evaluate(resolve(options.run), options.split, { checkpoint: options.checkpoint });
    } catch (error) {
      throw new CliError(`${options.run}: ${(error as Error).message}`, EXIT.failed);
    }
    const { summary, examples, skipped } = evaluation;
    context.print(
      {
        run: resolve(options.run),
        split: options.split,
        checkpoint: options.checkpoint,
        examples,
        skipped,
        ...summary,
      },
      () => {
        const lines = [
          `${options.split} (${examples} clips, ${options.checkpoint} checkpoint): ${formatEval(summary)}`,
        ];
        for (const [task, metrics] of Object.entries(summary.tasks)) {
          lines.push(`${task} confusion (rows = truth): ${JSON.stringify(metrics.confusion)}`);
        }
        for (const s of skipped) lines.push(`skipped ${s.clipId}: ${s.reason}`);
        return lines.join('\n');
      },
    );
    return skipped.length > 0 ? EXIT.partial : EXIT.ok;
  },
});
