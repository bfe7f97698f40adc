import { availableParallelism } from 'node:os';
import { defineCommand } from '../command.js';
import { EXIT } from '../errors.js';
import { runWorker } from '../experiment/queue.js';
import { integer, required, text } from '../option-types.js';
import { CLI_PATH } from './experiment.js';

export const workerCommand = defineCommand({
  name: 'worker',
  summary: 'train grid cells from a Redis job queue (BullMQ), for `experiment --queue` on any machine',
  description: `Serves every experiment queued on the Redis at --queue (started with \`mtl-trainer experiment
--queue ...\`, now or later): takes one cell at a time per --jobs slot and trains it with the local
trainer, in the runs folder and with the prepared data the experiment names (a path every machine
sees: a shared filesystem). If a worker dies, its cell goes to another worker after its lock
expires (about 10 s) and resumes from the run's last checkpoint. A cell that fails for a real
error (bad config, NaN) is not retried; the experiment reports it. Ctrl-C stops the running
cells at a checkpoint and hands them back to the queue.`,
  options: {
    queue: required(
      text('the Redis the experiments enqueue on', { value: 'redis://HOST:PORT[/DB]' }),
      'the same URL as `experiment --queue`, e.g. --queue redis://127.0.0.1:6379',
    ),
    jobs: integer('cells trained at once, each in its own process', { min: 1, defaultDoc: 'one per core' }),
  },
  examples: [
    [
      'mtl-trainer worker --queue redis://10.0.0.5:6379',
      'on every machine; then `mtl-trainer experiment --data /shared/prepared --runs /shared/runs --queue redis://10.0.0.5:6379`',
    ],
    ['mtl-trainer worker --queue redis://127.0.0.1:6379/2 --jobs 4', 'four cells at a time, Redis database 2'],
  ],
  async run(options, context) {
    const jobs = options.jobs ?? availableParallelism();
    context.log(`worker: ${jobs} cell(s) at a time from ${options.queue}; Ctrl-C to stop`);
    await runWorker(options.queue, {
      jobs,
      threads: Math.max(1, Math.floor(availableParallelism() / jobs)),
      cli: CLI_PATH,
      signal: context.signal,
      log: context.log,
    });
    return EXIT.interrupted;
  },
});
