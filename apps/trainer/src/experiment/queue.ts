import { join } from 'node:path';
import { Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { usageError } from '../errors.js';
import type { CellOutcome } from './aggregate.js';
import type { GridCell } from './grid.js';
import { type CellPlan, finishedOutcome, runCellProcess } from './run-cells.js';

/**
 * Grid cells over a BullMQ queue on Redis: the coordinator (`experiment --queue`) enqueues one
 * job per cell on its experiment's own queue and waits; `worker --queue` on any machine runs
 * jobs with the local trainer, in a runs folder every machine sees. A worker that dies loses
 * its job lock; BullMQ's stalled-job check gives the job to another worker, whose `train`
 * resumes the run from its last checkpoint. No scheduler of our own.
 */

/** The Redis set naming the queues of running experiments, which workers watch. */
const REGISTRY_KEY = 'mtl-trainer:experiment-queues';
/** A dead worker's job is taken back after its lock expires (ms). */
const LOCK_MS = 10_000;
/** Stalls (a worker died holding the job) before a cell counts as failed. */
const MAX_STALLS = 2;
/** Tries of a cell whose run stopped without a real error (its worker was stopped). */
const ATTEMPTS = 3;

export interface CellJob {
  cell: GridCell;
  plan: CellPlan;
  logFile: string;
}

/** `redis://[:password@]host:port[/db]` as connection options; errors say the expected form. */
export function redisConnection(url: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usageError(`--queue must be a Redis URL like redis://127.0.0.1:6379/0, got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'redis:') throw usageError(`--queue must start with redis://, got ${JSON.stringify(url)}`);
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw usageError(`--queue: the database in ${url} must be a number`);
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(db !== '' && { db: Number(db) }),
    ...(parsed.password && { password: decodeURIComponent(parsed.password) }),
    // BullMQ's workers block on Redis; they need this off.
    maxRetriesPerRequest: null,
  };
}

/** One queue per experiment, so two experiments on one Redis never mix. */
export const queueNameOf = (experiment: string) => `mtl-trainer-${experiment.replace(/[^A-Za-z0-9_-]+/g, '-')}`;

/** Fails fast, with what to do, when no Redis answers. */
async function reachable(connection: RedisOptions, url: string): Promise<void> {
  const client = new Redis({ ...connection, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw usageError(
      `no Redis at ${url} (${(error as Error).message}): start one (\`redis-server --port 6379\`) or fix --queue`,
    );
  } finally {
    client.disconnect();
  }
}

/**
 * Enqueues the cells (jobs named by run id, so re-running the experiment does not add them
 * twice) and waits for each; outcomes come from the runs folder, as in a local experiment.
 */
export async function runCellsOnQueue(
  url: string,
  experiment: string,
  cells: GridCell[],
  plan: CellPlan,
  options: {
    logDir: string;
    signal: AbortSignal;
    onSettled: (outcome: CellOutcome) => void;
    onStatus?: (line: string) => void;
  },
): Promise<CellOutcome[]> {
  const connection = redisConnection(url);
  await reachable(connection, url);
  const name = queueNameOf(experiment);
  const queue = new Queue<CellJob>(name, { connection });
  const events = new QueueEvents(name, { connection });
  const registry = new Redis(connection);
  let running = 0;
  events.on('active', () => options.onStatus?.(`${++running} running on workers`));
  events.on('completed', () => options.onStatus?.(`${--running} running on workers`));
  events.on('failed', () => options.onStatus?.(`${Math.max(0, --running)} running on workers`));
  try {
    await events.waitUntilReady();
    await registry.sadd(REGISTRY_KEY, name);
    const aborted = new Promise<undefined>((resolve) =>
      options.signal.addEventListener('abort', () => resolve(undefined), { once: true }),
    );
    const outcomes = await Promise.all(
      cells.map(async (cell): Promise<CellOutcome | undefined> => {
        const previous = await queue.getJob(cell.id);
        // A cell that failed (or finished without a usable run) in an earlier invocation is tried afresh.
        if (previous && ((await previous.isFailed()) || (await previous.isCompleted()))) await previous.remove();
        const job = await queue.add(
          'cell',
          { cell, plan, logFile: join(options.logDir, `${cell.id}.log`) },
          {
            jobId: cell.id,
            attempts: ATTEMPTS,
            backoff: { type: 'fixed', delay: 1000 },
            removeOnComplete: false,
            removeOnFail: false,
          },
        );
        const failure = await Promise.race([
          job.waitUntilFinished(events).then(
            () => undefined,
            (error: Error) => error.message,
          ),
          aborted.then(() => null),
        ]);
        if (failure === null) return undefined; // Ctrl-C: the job stays queued for the workers
        const outcome = (await finishedOutcome(plan, cell)) ?? {
          cell,
          failed: failure ?? 'the worker reported no usable run',
        };
        options.onSettled(outcome);
        return outcome;
      }),
    );
    if (!options.signal.aborted) await registry.srem(REGISTRY_KEY, name);
    return outcomes.filter((o): o is CellOutcome => o !== undefined);
  } finally {
    registry.disconnect();
    await events.close();
    await queue.close();
  }
}

/**
 * Takes cells from every experiment queue on the Redis (watching for new ones) and trains
 * them, `jobs` at a time per experiment, until `signal` aborts: running cells then stop at a
 * checkpoint and go back to the queue for another worker.
 */
export async function runWorker(
  url: string,
  options: { jobs: number; threads: number; cli: string; signal: AbortSignal; log: (line: string) => void },
): Promise<void> {
  const connection = redisConnection(url);
  await reachable(connection, url);
  const registry = new Redis(connection);
  const workers = new Map<string, Worker<CellJob>>();
  const work = async (job: { data: CellJob; id?: string | undefined }) => {
    const { cell, plan, logFile } = job.data;
    options.log(`worker: training ${cell.id}`);
    const threads = plan.train.threads === undefined ? ['--threads', String(options.threads)] : [];
    const outcome = await runCellProcess(plan, cell, {
      cli: options.cli,
      logFile,
      signal: options.signal,
      extraArgs: threads,
    });
    if (!('failed' in outcome)) {
      options.log(`worker: finished ${cell.id}`);
      return { runId: cell.id };
    }
    options.log(`worker: ${cell.id} did not finish: ${outcome.failed}`);
    // Stopped (this worker is shutting down): another worker continues it. Anything else is the cell's own fault.
    if (options.signal.aborted) throw new Error(`worker stopped: ${outcome.failed}`);
    throw new UnrecoverableError(outcome.failed);
  };
  const watch = async () => {
    for (const name of await registry.smembers(REGISTRY_KEY)) {
      if (workers.has(name)) continue;
      options.log(`worker: serving queue ${name}`);
      const worker = new Worker<CellJob>(name, work, {
        connection,
        concurrency: options.jobs,
        lockDuration: LOCK_MS,
        stalledInterval: LOCK_MS / 2,
        maxStalledCount: MAX_STALLS,
      });
      worker.on('error', (error) => options.log(`worker: ${name}: ${error.message}`));
      workers.set(name, worker);
    }
  };
  try {
    while (!options.signal.aborted) {
      await watch();
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  } finally {
    await Promise.all([...workers.values()].map((worker) => worker.close()));
    registry.disconnect();
  }
}
