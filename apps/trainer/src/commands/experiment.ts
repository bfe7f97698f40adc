import { availableParallelism } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@mtl/backend';
import { writeFileAtomic } from '@mtl/common';
import { randomSplit, readManifest, standardSplit } from '@mtl/datasets';
import { type ExperimentResults, validateExperimentResults } from '@mtl/training/run-store';
import { defineCommand, type RunContext, resolveOptions } from '../command.js';
import { EXIT, type ExitCode, usageError } from '../errors.js';
import { aggregate, type CellOutcome, resultsMarkdown, resultsTable } from '../experiment/aggregate.js';
import { expandGrid, type GridCell, loadGrid } from '../experiment/grid.js';
import { runCellsOnQueue } from '../experiment/queue.js';
import { type CellPlan, finishedOutcome, pool, runCellProcess } from '../experiment/run-cells.js';
import {
  flag,
  integer,
  type OptionSpec,
  type OptionSpecs,
  path,
  type ResolvedOptions,
  required,
  text,
} from '../option-types.js';
import { readPreparedData, writeJson } from '../prepared-data.js';
import { runOptions, trainOptions } from '../train-options.js';

export const experimentOptions = {
  data: required(trainOptions.data, 'the folder `mtl-trainer prepare --out DIR` wrote'),
  grid: text(
    "'paper' (audio, video, multi x static uniform, static emotion-only, static gender-only, dynamic softmax) or a JSON/YAML grid file",
    {
      value: 'paper|FILE',
      default: 'paper',
    },
  ),
  seeds: integer('seeds per cell (1..N)', { default: 1, min: 1 }),
  folds: text("folds per cell: the first K of the split, or 'all'", { value: 'K|all', default: 'all' }),
  jobs: integer('cells trained at once, each in its own process', { min: 1, defaultDoc: 'one per core' }),
  name: text('experiment name (its folder, and the prefix of its run ids)', { defaultDoc: "the grid's name" }),
  runs: path('runs folder, shared by every cell', { value: 'DIR', default: 'runs' }),
  out: path('experiments folder; results go to OUT/NAME/results.{md,json}', { value: 'DIR', default: 'experiments' }),
  // Unset flags fall back to the grid file's `train:` entries, then to these defaults.
  ...deferDefaults(runOptions),
  queue: text('run the cells on `mtl-trainer worker` processes through this Redis (BullMQ) instead of here', {
    value: 'redis://HOST:PORT[/DB]',
  }),
  json: flag('print results.json instead of the table'),
};

/** The same specs without their defaults (shown in help as the fallback), so an unset flag stays unset. */
function deferDefaults<O extends OptionSpecs>(
  specs: O,
): { [K in keyof O]: OptionSpec<ResolvedOptions<O>[K] | undefined> } {
  return Object.fromEntries(
    Object.entries(specs).map(([key, spec]) => {
      const { default: fallback, ...rest } = spec;
      const defaultDoc = spec.defaultDoc ?? (fallback === undefined ? undefined : String(fallback));
      return [
        key,
        { ...rest, ...(defaultDoc ? { defaultDoc: `the grid file's train.${key}, else ${defaultDoc}` } : {}) },
      ];
    }),
  ) as { [K in keyof O]: OptionSpec<ResolvedOptions<O>[K] | undefined> };
}

function parseFolds(value: string, available: number): number[] {
  if (value === 'all') return Array.from({ length: available }, (_, i) => i);
  const k = Number(value);
  if (!Number.isInteger(k) || k < 1 || k > available) {
    throw usageError(
      `--folds must be 'all' or a whole number from 1 to ${available} (the split's folds), got ${JSON.stringify(value)}`,
    );
  }
  return Array.from({ length: k }, (_, i) => i);
}

/** This CLI's own file, run again for each cell. */
export const CLI_PATH = fileURLToPath(import.meta.url);

export interface ExperimentRun {
  results: ExperimentResults;
  dir: string;
  runsDir: string;
  exitCode: ExitCode;
}

/** Plans the grid, runs the cells not yet finished in parallel processes, and writes results.{json,md}. */
export async function runExperiment(
  options: ResolvedOptions<typeof experimentOptions>,
  context: Pick<RunContext, 'log' | 'progress' | 'signal'>,
): Promise<ExperimentRun> {
  const prepared = await readPreparedData(options.data);
  // Checking the grid's strategies builds them (the softmax one owns a variable), so tfjs needs a backend.
  await initBackend({ backend: 'wasm' });
  const grid = await loadGrid(options.grid);
  // Grid file's train options, then flags; checked by the same specs as `train`'s.
  const flags = Object.fromEntries(Object.keys(runOptions).map((k) => [k, (options as Record<string, unknown>)[k]]));
  const train = resolveOptions(runOptions, flags, grid.train, options.grid);
  const manifest = await readManifest(prepared.manifest);
  const split = train.split === 'random' ? randomSplit(manifest) : standardSplit(manifest);
  const folds = parseFolds(options.folds, split.folds.length);
  const seeds = Array.from({ length: options.seeds }, (_, i) => i + 1);
  const name = options.name ?? (options.grid === 'paper' ? 'paper' : basename(options.grid, extname(options.grid)));
  const cells = expandGrid(name, grid, seeds, folds);
  const dir = resolve(options.out, name);
  const runsDir = resolve(options.runs);
  const jobs = options.jobs ?? availableParallelism();
  const plan: CellPlan = {
    runsDir,
    dataDir: resolve(options.data),
    // Locally each cell gets its share of the cores; on a queue each worker decides for its machine.
    train: options.queue
      ? train
      : { ...train, threads: train.threads ?? Math.max(1, Math.floor(availableParallelism() / jobs)) },
  };

  const outcomes: CellOutcome[] = [];
  const todo: GridCell[] = [];
  for (const cell of cells) {
    const done = await finishedOutcome(plan, cell);
    if (done) outcomes.push(done);
    else todo.push(cell);
  }
  context.log(
    `experiment ${name}${options.queue ? ` on ${options.queue}` : ''}: ${cells.length} cells (${grid.modals.length} modals x ${grid.weightings.length} weightings x ${folds.length} folds x ${seeds.length} seeds), ${outcomes.length} already finished, ${todo.length} to run${options.queue ? ' by the workers' : `, ${Math.min(jobs, Math.max(1, todo.length))} at a time`}`,
  );
  const bar = context.progress('experiment', cells.length);
  let failed = 0;
  const settle = (outcome: CellOutcome) => {
    outcomes.push(outcome);
    if ('failed' in outcome) failed++;
    bar.update(outcomes.length, { status: `${failed} failed` });
  };
  bar.update(outcomes.length);
  try {
    if (options.queue) {
      bar.update(outcomes.length, { status: 'waiting for workers' });
      await runCellsOnQueue(options.queue, name, todo, plan, {
        logDir: join(dir, 'logs'),
        signal: context.signal,
        onSettled: settle,
        onStatus: (status) => bar.update(outcomes.length, { status: `${status}, ${failed} failed` }),
      });
    } else {
      await pool(
        todo,
        jobs,
        (cell) =>
          runCellProcess(plan, cell, {
            cli: CLI_PATH,
            logFile: join(dir, 'logs', `${cell.id}.log`),
            signal: context.signal,
          }),
        { signal: context.signal, onSettled: settle },
      );
    }
  } finally {
    bar.stop();
  }
  const order = new Map(cells.map((cell, i) => [cell.id, i]));
  outcomes.sort((a, b) => (order.get(a.cell.id) ?? 0) - (order.get(b.cell.id) ?? 0));
  const results = aggregate(
    name,
    {
      corpus: prepared.corpus,
      split: split.name,
      speakerIndependent: split.speakerIndependent,
      seeds,
      folds,
      epochs: train.epochs,
      preset: train.preset,
    },
    outcomes,
  );
  validateExperimentResults(results, { file: join(dir, 'results.json') });
  await writeJson(join(dir, 'results.json'), results);
  const markdown = resultsMarkdown(results, { emotion: 1 / manifest.emotionClasses.length, gender: 0.5 });
  await writeFileAtomic(join(dir, 'results.md'), markdown);

  const missing = cells.length - outcomes.length;
  const exitCode: ExitCode =
    context.signal.aborted || missing > 0
      ? EXIT.interrupted
      : failed === cells.length
        ? EXIT.failed
        : failed > 0
          ? EXIT.partial
          : EXIT.ok;
  return { results, dir, runsDir, exitCode };
}

export const experimentCommand = defineCommand({
  name: 'experiment',
  summary: "run a grid of runs (the paper's comparison by default) and write its mean ± std table",
  description: `Trains every cell of a grid (modal x weighting x fold x seed) as its own process, --jobs at a
time, and writes results.json and results.md: per row, the mean ± sample std over seeds and folds of
emotion UA, WA and macro-F1, gender accuracy, and per-task and joint NLL on the test split, with the
protocol stated (corpus, split, speaker independence, seeds, folds).

Resumable: a cell whose run completed is not rerun; an interrupted one continues from its checkpoint.`,
  options: experimentOptions,
  examples: [
    ['mtl-trainer experiment --data data/prepared', "the paper's grid (12 cells) on every fold, one seed"],
    [
      'mtl-trainer experiment --data data/prepared --seeds 3 --folds 2 --epochs 20 --jobs 2',
      '3 seeds x 2 folds per cell',
    ],
    [
      'mtl-trainer experiment --data data/iemocap --grid grid.yaml',
      'a grid file, e.g.\n        extends: paper\n        weightings: [uncertainty, { method: dwa, options: { temperature: 2 } }]\n        train: { epochs: 50, lr: 0.0005 }',
    ],
  ],
  async run(options, context) {
    const { results, dir, runsDir, exitCode } = await runExperiment(options, context);
    context.print(results, () =>
      [
        resultsTable(results),
        '',
        `results: ${join(dir, 'results.md')} (and results.json)`,
        `runs:    ${runsDir}`,
        `viewer:  pnpm viewer --runs ${runsDir}`,
      ].join('\n'),
    );
    return exitCode;
  },
});
