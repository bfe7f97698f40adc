import { stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { defineCommand } from '../command.js';
import { CliError, EXIT } from '../errors.js';
import { resultsTable } from '../experiment/aggregate.js';
import { flag, integer, path } from '../option-types.js';
import { writeJson } from '../prepared-data.js';
import { runOptions } from '../train-options.js';
import { runExperiment } from './experiment.js';
import { formatProblems, prepareData } from './prepare.js';
import { synthesize } from './synth.js';

/**
 * The demo's grid: every modal with the paper's baseline (static uniform) and its
 * contribution (dynamic softmax) on one held-out fold, sized to finish in minutes on two cores.
 */
export const DEMO_GRID = {
  modals: ['audio', 'video', 'multi'],
  weightings: [
    { label: 'static uniform', method: 'static' },
    { label: 'dynamic softmax', method: 'softmax' },
  ],
  train: { preset: 'compact', epochs: 12, batchSize: 8, lr: 0.001 },
};

const unsetRunOptions = () =>
  Object.fromEntries(Object.keys(runOptions).map((key) => [key, undefined])) as {
    [K in keyof typeof runOptions]: undefined;
  };

const DEMO_CORPUS = { speakers: 12, clipsPerSpeaker: 12, duration: 2, seed: 1 };

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

export const demoCommand = defineCommand({
  name: 'demo',
  summary: 'the whole system in one command: synthetic corpus -> prepare -> small grid -> table',
  description: `Synthesises the synthetic audio-visual corpus (if absent), prepares it for the compact
preset, trains a small grid (audio, video and audio+video models, each with static uniform and
dynamic softmax weights) on one speaker-independent fold, and prints the table, where the runs
are, and the command that opens the viewer. Everything goes under --dir; re-running reuses what
is there (finished runs are not redone).

The corpus is synthetic: the scores show the pipeline works end to end, nothing about real
emotion recognition (see README "Real corpora").`,
  options: {
    dir: path('folder for the corpus, prepared data, runs and results', { value: 'DIR', default: 'runs/demo' }),
    epochs: integer('epochs per run', { default: DEMO_GRID.train.epochs, min: 1 }),
    jobs: integer('runs trained at once', { min: 1, defaultDoc: 'one per core' }),
    json: flag('print results.json instead of the table'),
  },
  examples: [
    ['mtl-trainer demo', 'what `pnpm demo` runs'],
    ['mtl-trainer demo --dir /tmp/demo --epochs 4', 'a quicker, rougher one elsewhere'],
  ],
  async run(options, context) {
    const started = performance.now();
    const dir = resolve(options.dir);
    const corpus = join(dir, 'corpus');
    if (await exists(join(corpus, 'corpus.json'))) {
      context.log(`demo: using the synthetic corpus in ${corpus}`);
    } else {
      context.log(`demo: writing the synthetic corpus to ${corpus}`);
      await synthesize({ out: corpus, ...DEMO_CORPUS }, context.progress);
    }
    const prepared = await prepareData(
      { corpus: 'synthetic', root: corpus, out: join(dir, 'prepared'), modal: 'multi', preset: 'compact' },
      context,
    );
    if (prepared.problems.length > 0) context.log(formatProblems(prepared.problems));
    if (prepared.usable === 0) throw new CliError(`demo: no clip of ${corpus} could be prepared`, EXIT.failed);
    const gridFile = join(dir, 'demo-grid.json');
    await writeJson(gridFile, { ...DEMO_GRID, train: { ...DEMO_GRID.train, epochs: options.epochs } });
    const {
      results,
      dir: resultsDir,
      runsDir,
      exitCode,
    } = await runExperiment(
      {
        data: join(dir, 'prepared'),
        grid: gridFile,
        seeds: 1,
        folds: '1',
        jobs: options.jobs,
        name: 'demo',
        runs: join(dir, 'runs'),
        out: join(dir, 'experiments'),
        json: options.json,
        queue: undefined,
        // Every run option from the grid file.
        ...unsetRunOptions(),
      },
      context,
    );
    const seconds = (performance.now() - started) / 1000;
    const rel = (p: string) => relative(process.cwd(), p) || '.';
    context.print({ ...results, wallSeconds: seconds, runsDir, resultsDir }, () =>
      [
        '',
        `Synthetic corpus, ${results.protocol.split} fold 0 (test speakers never seen in training), ${results.protocol.epochs} epochs, compact preset; chance: emotion UA 0.25, gender accuracy 0.5.`,
        '',
        resultsTable(results),
        '',
        `demo finished in ${(seconds / 60).toFixed(1)} min`,
        `results: ${rel(join(resultsDir, 'results.md'))}`,
        `runs:    ${rel(runsDir)}`,
        `viewer:  pnpm viewer --runs ${rel(runsDir)}`,
      ].join('\n'),
    );
    return exitCode;
  },
});
