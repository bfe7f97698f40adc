import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RUN_FILES, readSummary } from '@mtl/training/run-store';
import type { CellOutcome } from './aggregate.js';
import type { GridCell } from './grid.js';

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Where a cell's run lives, and the `train` options every cell shares. */
export interface CellPlan {
  runsDir: string;
  dataDir: string;
  /** `train` options for every cell (from the grid file and the command line), by option name. */
  train: Record<string, unknown>;
}

/** A cell's run folder. */
export const runDirOf = (plan: Pick<CellPlan, 'runsDir'>, cell: GridCell) => join(plan.runsDir, cell.id);

/** The outcome of a cell already finished in an earlier invocation; undefined when it must (still) run. */
export async function finishedOutcome(
  plan: Pick<CellPlan, 'runsDir'>,
  cell: GridCell,
): Promise<CellOutcome | undefined> {
  const summary = await readSummary(runDirOf(plan, cell)).catch(() => undefined);
  if (summary?.status === 'completed' && summary.final?.test) return { cell, test: summary.final.test };
  return undefined;
}

/** The `mtl-trainer train` arguments of a cell; `--resume` when an earlier attempt left a run to continue. */
export async function trainArguments(plan: CellPlan, cell: GridCell, extra: string[] = []): Promise<string[]> {
  const runDir = runDirOf(plan, cell);
  const started = await stat(join(runDir, RUN_FILES.config)).then(
    () => true,
    () => false,
  );
  const args = ['train', '--data', plan.dataDir, '--out', plan.runsDir, '--run-id', cell.id];
  args.push(
    '--modal',
    cell.modal,
    '--weighting',
    cell.weighting.method,
    '--seed',
    String(cell.seed),
    '--fold',
    String(cell.fold),
  );
  for (const [key, value] of Object.entries(cell.weighting.options)) {
    args.push('--weighting-option', `${key}=${JSON.stringify(value)}`);
  }
  for (const [key, value] of Object.entries(plan.train)) {
    if (value === undefined) continue;
    args.push(`--${kebab(key)}`, typeof value === 'string' ? value : JSON.stringify(value));
  }
  if (started) args.push('--resume', runDir);
  return [...args, ...extra];
}

/** Runs a cell as a child `mtl-trainer train` process; its output goes to `logFile`. */
export async function runCellProcess(
  plan: CellPlan,
  cell: GridCell,
  options: { cli: string; logFile: string; extraArgs?: string[]; signal?: AbortSignal },
): Promise<CellOutcome> {
  const args = await trainArguments(plan, cell, options.extraArgs);
  await mkdir(join(options.logFile, '..'), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  log.write(`$ mtl-trainer ${args.join(' ')}\n`);
  let errors = '';
  const code = await new Promise<number | null>((resolve) => {
    // Its own process group, so a Ctrl-C reaches it only through us: it then saves and stops.
    // The IPC channel ties it to us: it exits when we die (see cli.ts), leaving no orphan on the run.
    const child = spawn(process.execPath, [...process.execArgv, options.cli, ...args], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true,
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    child.stderr?.on('data', (chunk: Buffer) => {
      errors = (errors + chunk.toString()).slice(-4000);
    });
    const stop = () => child.kill('SIGINT');
    options.signal?.addEventListener('abort', stop, { once: true });
    child.on('close', (exit, signal) => {
      options.signal?.removeEventListener('abort', stop);
      resolve(exit ?? (signal ? 128 : 1));
    });
  });
  await new Promise((resolve) => log.end(resolve));
  const summary = await readSummary(runDirOf(plan, cell)).catch(() => undefined);
  if (summary?.status === 'completed' && summary.final?.test) return { cell, test: summary.final.test };
  // The run's own error, else the CLI's last `error:` line (a failure before the run folder existed).
  const cliError = errors
    .split('\n')
    .reverse()
    .find((line) => line.startsWith('error: '))
    ?.slice('error: '.length);
  const reason =
    summary?.error ??
    (summary?.status === 'interrupted' ? 'interrupted' : (cliError ?? `train exited with code ${code}`));
  return { cell, failed: `${reason} (log: ${options.logFile})` };
}

/** Runs `work` over `items` with at most `jobs` at once; `onSettled` after each. */
export async function pool<T, R>(
  items: T[],
  jobs: number,
  work: (item: T) => Promise<R>,
  options: { signal?: AbortSignal; onSettled?: (result: R) => void } = {},
): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const lane = async () => {
    while (next < items.length && !options.signal?.aborted) {
      const item = items[next++] as T;
      const result = await work(item);
      results.push(result);
      options.onSettled?.(result);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, lane));
  return results;
}
