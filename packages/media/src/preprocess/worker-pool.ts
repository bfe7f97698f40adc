// The child processes `preprocess` runs clips in.
import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ClipJob, JobOutcome } from './run-batch.js';

const workerEntry = () => {
  // From sources (this repo's tests and bench) the worker is TypeScript: it runs through tsx,
  // resolved from this package, so a caller in another folder need not have it.
  const fromSource = import.meta.url.endsWith('.ts');
  const path = fileURLToPath(new URL(fromSource ? './clip-worker.ts' : './clip-worker.js', import.meta.url));
  const tsx = () => pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  // ... and resolves this repo's packages to their sources too, not to builds that may be stale.
  return { path, execArgv: fromSource ? ['--conditions=@mtl/source', '--import', tsx()] : [] };
};

/** A pool of child processes, each given the next batch when it answers; a crashed one is replaced. */
export function runInWorkers(
  batches: ClipJob[][],
  count: number,
  settle: (batch: ClipJob[], outcomes: JobOutcome[]) => void,
): Promise<void> {
  const { path, execArgv } = workerEntry();
  let next = 0;
  let running = 0;
  return new Promise((resolve) => {
    const feed = (child: ChildProcess, state: { batch?: ClipJob[] }) => {
      const batch = batches[next++];
      state.batch = batch;
      if (batch === undefined) {
        child.disconnect();
        return;
      }
      child.send(batch);
    };
    const start = () => {
      running++;
      const child = fork(path, [], {
        execArgv,
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const state: { batch?: ClipJob[] } = {};
      child.on('message', (outcomes: JobOutcome[]) => {
        const batch = state.batch!;
        state.batch = undefined;
        settle(batch, outcomes);
        feed(child, state);
      });
      child.on('exit', (code, signal) => {
        running--;
        if (state.batch) {
          const reason = `worker process died (${signal ?? `exit ${code}`})`;
          settle(
            state.batch,
            state.batch.map(({ key }) => ({ key, reason })),
          );
          if (next < batches.length) start();
        }
        if (running === 0) resolve();
      });
      feed(child, state);
    };
    for (let i = 0; i < count; i++) start();
    if (count === 0) resolve();
  });
}
