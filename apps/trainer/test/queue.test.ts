import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { readExperimentResults, readMetrics, readSummary } from '@mtl/training/run-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli, tempDir } from './cli.js';
import { preparedCorpus } from './fixtures.js';

const hasRedis = spawnSync('redis-server', ['--version']).status === 0;
if (!hasRedis) {
  const message = 'redis-server is not installed: the job-queue tests cannot run (apt-get install redis-server)';
  if (process.env.CI) throw new Error(message);
  console.warn(`\n*** SKIPPING the BullMQ tests: ${message} ***\n`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A real redis-server on a free loopback port, nothing persisted. */
async function startRedis(): Promise<{ url: string; server: ChildProcess }> {
  const port = await freePort();
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    server.stdout?.on('data', (d) => {
      output += d;
      if (output.includes('Ready to accept connections')) resolve();
    });
    server.on('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
  });
  return { url: `redis://127.0.0.1:${port}`, server };
}

/** A long-running `mtl-trainer` process whose stderr is collected. */
function startCli(args: string[]) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => {
    output.stdout += d;
  });
  child.stderr.on('data', (d) => {
    output.stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output, exited };
}

const until = async (check: () => Promise<boolean> | boolean, what: string, timeoutMs = 120_000) => {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

describe.skipIf(!hasRedis)('experiment --queue on BullMQ with two workers', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let data: string;
  let redis: { url: string; server: ChildProcess };
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('queue'));
    data = await preparedCorpus(dir);
    redis = await startRedis();
  });
  afterAll(async () => {
    redis?.server.kill('SIGKILL');
    await cleanup();
  });

  it("a SIGKILLed worker's cell resumes from its checkpoint on the other; each cell finishes once; same table as local", async () => {
    const grid = join(dir, 'grid.yaml');
    await writeFile(
      grid,
      'modals: [audio]\nweightings: [{ method: static, label: uniform }, softmax]\ntrain: { epochs: 6, batchSize: 4, threads: 1 }\n',
    );
    const common = ['--data', data, '--grid', grid, '--folds', '1'];
    const runs = join(dir, 'runs-queue');
    const coordinator = startCli([
      'experiment',
      ...common,
      '--runs',
      runs,
      '--out',
      join(dir, 'exp-queue'),
      '--queue',
      redis.url,
    ]);
    const workerA = startCli(['worker', '--queue', redis.url, '--jobs', '1']);
    let killedCell = '';
    try {
      // Kill worker A as soon as its cell has a checkpoint and is still training.
      await until(() => /worker: training (\S+)/.test(workerA.output.stderr), 'worker A to take a cell');
      killedCell = /worker: training (\S+)/.exec(workerA.output.stderr)![1]!;
      const workerB = startCli(['worker', '--queue', redis.url, '--jobs', '1']);
      try {
        await until(
          () =>
            stat(join(runs, killedCell, 'checkpoints', 'last')).then(
              () => true,
              () => false,
            ),
          'a checkpoint of the cell on worker A',
        );
        expect((await readSummary(join(runs, killedCell)))?.status).toBe('running');
        workerA.child.kill('SIGKILL');
        expect(await coordinator.exited).toBe(0);
      } finally {
        workerB.child.kill('SIGINT');
        await workerB.exited;
      }
    } finally {
      workerA.child.kill('SIGKILL');
      coordinator.child.kill('SIGKILL');
    }

    const results = await readExperimentResults(join(dir, 'exp-queue', 'grid'));
    expect(results.rows.map((r) => [r.weighting.label, r.runs.length, r.failed.length])).toEqual([
      ['uniform', 1, 0],
      ['softmax', 1, 0],
    ]);
    const logs = join(dir, 'exp-queue', 'grid', 'logs');
    for (const name of await readdir(logs)) {
      const log = await readFile(join(logs, name), 'utf8');
      expect(log.match(/: completed after/g), name).toHaveLength(1); // trained to the end exactly once
      const invocations = log.split('\n').filter((line) => line.startsWith('$ mtl-trainer train'));
      if (name === `${killedCell}.log`) {
        expect(invocations).toHaveLength(2);
        expect(invocations[1]).toContain(`--resume ${join(runs, killedCell)}`);
      } else {
        expect(invocations).toHaveLength(1);
      }
    }
    const summary = await readSummary(join(runs, killedCell));
    expect(summary).toMatchObject({ status: 'completed', epochsCompleted: 6 });
    const steps = (await readMetrics(join(runs, killedCell))).records
      .filter((r) => r.kind === 'step')
      .map((r) => r.step);
    expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i + 1));

    // The same grid and seeds, run locally without Redis: the same table.
    const local = await runCli([
      'experiment',
      ...common,
      '--runs',
      join(dir, 'runs-local'),
      '--out',
      join(dir, 'exp-local'),
      '--jobs',
      '2',
    ]);
    expect(local.code, local.stderr).toBe(0);
    const localResults = await readExperimentResults(join(dir, 'exp-local', 'grid'));
    expect(results.rows.map((r) => r.metrics)).toEqual(localResults.rows.map((r) => r.metrics));
  });

  it('a cell that fails for a real error is failed once, not retried, and reported in the table', async () => {
    const audioOnly = await preparedCorpus(dir, { audioOnly: true });
    const grid = join(dir, 'mixed.yaml');
    await writeFile(
      grid,
      'modals: [audio, video]\nweightings: [static]\ntrain: { epochs: 1, batchSize: 4, threads: 1 }\n',
    );
    const out = join(dir, 'exp-mixed');
    const worker = startCli(['worker', '--queue', redis.url, '--jobs', '2']);
    try {
      const result = await runCli([
        'experiment',
        '--data',
        audioOnly,
        '--grid',
        grid,
        '--folds',
        '1',
        '--runs',
        join(dir, 'runs-mixed'),
        '--out',
        out,
        '--queue',
        redis.url,
      ]);
      expect(result.code, result.stderr).toBe(3);
    } finally {
      worker.child.kill('SIGINT');
      await worker.exited;
    }
    const results = await readExperimentResults(join(out, 'mixed'));
    expect(results.rows.map((r) => [r.modal, r.runs.length, r.failed.length])).toEqual([
      ['audio', 1, 0],
      ['video', 0, 1],
    ]);
    expect(results.rows[1]!.failed[0]!.reason).toContain('no training clips');
    const log = await readFile(join(out, 'mixed', 'logs', 'mixed--video-static-fold0-seed1.log'), 'utf8');
    expect(log.split('\n').filter((line) => line.startsWith('$ mtl-trainer train'))).toHaveLength(1);
  });

  it('no Redis at the URL: exit 2 with what to do', async () => {
    const { code, stderr } = await runCli(['worker', '--queue', 'redis://127.0.0.1:1']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/no Redis at redis:\/\/127\.0\.0\.1:1 .*start one/);
  });
});
