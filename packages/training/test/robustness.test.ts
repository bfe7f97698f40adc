import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { strategyNames } from '@mtl/dynamic-loss';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type MetricsRecord,
  NonFiniteError,
  type RunClip,
  readMetrics,
  readRun,
  resume,
  type TrainConfig,
  type TrainProgress,
  train,
  validateRun,
} from '../src/index.js';
import { type Corpus, tinyCorpus, tinyRun, wasm } from './fixtures.js';

const here = path.dirname(fileURLToPath(import.meta.url));
let corpus: Corpus;
let base: TrainConfig;
let runs = 0;
const runsDir = () => path.join(corpus.root, 'runs');
const nextId = (name: string) => `${name}-${runs++}`;

beforeAll(async () => {
  await wasm();
  corpus = await tinyCorpus();
  base = tinyRun(corpus, 11);
}, 120_000);

/** Metrics without what depends on the clock. */
const numbers = (records: MetricsRecord[]) =>
  records.map((record) => {
    const { wallTime: _w, examplesPerSecond: _e, ...rest } = record;
    if (rest.kind === 'step') delete rest.waitSeconds;
    return rest;
  });

async function copyCache(name: string): Promise<string> {
  const copy = path.join(corpus.root, name);
  await cp(corpus.cacheDir, copy, { recursive: true });
  return copy;
}

const binFile = (cacheDir: string, key: string) => path.join(cacheDir, 'clips', key.slice(0, 2), `${key}.bin`);

let expected: ReturnType<typeof numbers> | undefined;
/** The metrics of the base run trained start to end, once. */
async function uninterrupted() {
  if (!expected) {
    const whole = await train({ ...base, id: nextId('whole') }, { runsDir: runsDir(), workers: 0 });
    expected = numbers((await readMetrics(whole.runDir)).records);
  }
  return expected;
}

/** Trains the base run and stops it (as a signal would) right after the event `stopWhen` picks. */
async function trainStoppedAt(name: string, stopWhen: (event: TrainProgress) => boolean) {
  const controller = new AbortController();
  return train(
    { ...base, id: nextId(name) },
    { runsDir: runsDir(), workers: 0, signal: controller.signal, onProgress: (e) => stopWhen(e) && controller.abort() },
  );
}
const afterStep = (step: number) => (event: TrainProgress) => event.kind === 'step' && event.step === step;
const afterEpoch1 = (event: TrainProgress) => event.kind === 'eval' && event.record.epoch === 1;

describe('resume', () => {
  it('continues a run stopped mid-epoch and between epochs with metrics equal to an uninterrupted run', async () => {
    const expected = await uninterrupted();
    expect(expected.filter((r) => r.kind === 'step').length).toBeGreaterThanOrEqual(6);

    for (const stopAt of ['mid-epoch', 'between-epochs'] as const) {
      const stopped = await trainStoppedAt(stopAt, stopAt === 'mid-epoch' ? afterStep(2) : afterEpoch1);
      expect(stopped.status).toBe('interrupted');
      expect(stopped.resumeCommand).toContain(stopped.runDir);
      const interrupted = await readRun(stopped.runDir);
      expect(interrupted.summary).toMatchObject({ status: 'interrupted', resume: stopped.resumeCommand });
      expect(interrupted.summary!.steps).toBe(
        stopAt === 'mid-epoch' ? 2 : expected.filter((r) => r.kind === 'step' && r.epoch === 1).length,
      );
      const before = tf.memory().numTensors;
      const resumed = await resume(stopped.runDir, { workers: 0 });
      expect(tf.memory().numTensors).toBe(before);
      expect(resumed.status).toBe('completed');
      expect(numbers((await readMetrics(stopped.runDir)).records)).toEqual(expected);
      expect((await validateRun(stopped.runDir)).ok).toBe(true);
    }
  });

  it('resumes from the checkpoint a save moved aside when it was killed between its two renames', async () => {
    const stopped = await trainStoppedAt('swap', afterStep(3));
    const checkpoints = path.join(stopped.runDir, 'checkpoints');
    // What a kill leaves: the old `last` renamed aside, the new one still staging.
    await rename(path.join(checkpoints, 'last'), path.join(checkpoints, 'last.retired-1-dead'));
    await mkdir(path.join(checkpoints, 'last.staging-1-dead'));
    await resume(stopped.runDir, { workers: 0 });
    expect(numbers((await readMetrics(stopped.runDir)).records)).toEqual(await uninterrupted());
    expect((await readdir(checkpoints)).sort()).toEqual(['best', 'last']);
  });

  /** Starts the training child process and resolves once it has logged step `afterStep`. */
  async function trainInChild(id: string, afterStep: number) {
    const child = spawn(
      process.execPath,
      [
        '--conditions=@mtl/source',
        '--import',
        'tsx',
        path.join(here, 'train-child.ts'),
        JSON.stringify({ ...base, id }),
        runsDir(),
      ],
      { cwd: path.join(here, '..'), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        if (stdout.includes(`step ${afterStep}\n`)) resolve();
      });
      child.on('exit', () => resolve());
    });
    return { child, exit, stderr: () => stderr };
  }

  it('stops on SIGTERM in a real process: finishes the step, writes last, exits non-zero saying how to resume; resume matches', async () => {
    const id = nextId('sigterm');
    const { child, exit, stderr } = await trainInChild(id, 1);
    child.kill('SIGTERM');
    expect(await exit).toBe(143);
    const runDir = path.join(runsDir(), id);
    expect(stderr()).toContain('SIGTERM: finishing the current step');
    expect(stderr()).toContain(`run interrupted; to continue: mtl-trainer train --resume ${runDir}`);
    const run = await readRun(runDir);
    expect(run.summary!.status).toBe('interrupted');
    const stepsLogged = run.metrics.filter((m) => m.kind === 'step').length;
    expect(run.summary!.steps).toBe(stepsLogged);
    const state = JSON.parse(await readFile(path.join(runDir, 'checkpoints/last/training-state.json'), 'utf8'));
    expect(state.loop.step).toBe(stepsLogged);
    await resume(runDir, { workers: 0 });
    expect(numbers((await readMetrics(runDir)).records)).toEqual(await uninterrupted());
  }, 60_000);

  it('resumes a process killed with SIGKILL in epoch 2 from the epoch-1 checkpoint, without repeating records', async () => {
    const id = nextId('sigkill');
    const { child, exit } = await trainInChild(
      id,
      (await uninterrupted()).filter((r) => r.kind === 'step' && r.epoch === 1).length + 1,
    );
    child.kill('SIGKILL');
    await exit;
    const runDir = path.join(runsDir(), id);
    // The records of epoch 2 the process wrote are past the checkpoint: resume re-runs them once.
    expect((await readMetrics(runDir)).records.some((r) => r.epoch === 2)).toBe(true);
    await resume(runDir, { workers: 0 });
    expect(numbers((await readMetrics(runDir)).records)).toEqual(await uninterrupted());
    expect((await validateRun(runDir)).ok).toBe(true);
  }, 60_000);
});

describe('failures', () => {
  it('catches a diverging step before its update, naming step, epoch, task and clips; last and best stay good', async () => {
    const first = await trainStoppedAt('nan', afterEpoch1);
    expect(first.status).toBe('interrupted');
    const run = await readRun(first.runDir);
    // From epoch 2 on, a learning rate that throws the weights to 1e30: the next forward pass overflows.
    const configFile = path.join(first.runDir, 'config.json');
    await writeFile(configFile, JSON.stringify({ ...run.config, training: { ...run.config.training, lr: 1e30 } }));
    const checkpointFiles = async () =>
      Promise.all(
        ['last', 'best'].map((c) => readFile(path.join(first.runDir, 'checkpoints', c, 'training-state.json'), 'utf8')),
      );
    const saved = await checkpointFiles();

    const before = tf.memory().numTensors;
    const error = await resume(first.runDir, { workers: 0 }).catch((e: unknown) => e);
    expect(tf.memory().numTensors).toBe(before);
    expect(error).toBeInstanceOf(NonFiniteError);
    const nonFinite = error as NonFiniteError;
    expect(nonFinite.epoch).toBe(2);
    expect(nonFinite.step).toBeGreaterThan(run.summary!.steps);
    const trainIds = run.config.clips!.train.map((c) => c.id);
    expect(nonFinite.clipIds.length).toBeGreaterThan(0);
    expect(nonFinite.clipIds.every((id) => trainIds.includes(id))).toBe(true);
    expect(nonFinite.tasks.length).toBeGreaterThan(0);
    expect(nonFinite.message).toContain(
      `non-finite ${nonFinite.what} at step ${nonFinite.step} (epoch 2), task ${nonFinite.tasks.join(', ')}, batch clips ${nonFinite.clipIds.join(', ')}`,
    );
    expect(await checkpointFiles()).toEqual(saved);
    const after = await readRun(first.runDir);
    expect(after.summary).toMatchObject({ status: 'failed', error: nonFinite.message });
    // Steps logged stop before the step that diverged.
    expect(after.metrics.filter((m) => m.kind === 'step').at(-1)!.step).toBe(nonFinite.step - 1);
  });

  it('reports clips that fail to load at train time (a cut-off file, NaN samples) by id, skips them, and finishes', async () => {
    const cacheDir = await copyCache('broken-cache');
    const probe = await train(
      { ...base, id: nextId('probe'), data: { ...base.data, cacheDir }, training: { ...base.training, epochs: 1 } },
      { runsDir: runsDir(), workers: 0 },
    );
    const [, broken, poisoned] = (await readRun(probe.runDir)).config.clips!.train as [unknown, RunClip, RunClip];
    // A clip stored with a NaN sample (its checksum matches: the cache holds what it stored).
    const bytes = await readFile(binFile(cacheDir, poisoned.key));
    bytes.set(new Uint8Array(new Float32Array([0, Number.NaN]).buffer), 0);
    await writeFile(binFile(cacheDir, poisoned.key), bytes);
    const metaFile = binFile(cacheDir, poisoned.key).replace(/\.bin$/, '.json');
    const meta = JSON.parse(await readFile(metaFile, 'utf8'));
    meta.bin.sha256 = createHash('sha256').update(bytes).digest('hex');
    await writeFile(metaFile, JSON.stringify(meta));

    const skipped: string[] = [];
    let cut = false;
    const result = await train(
      { ...base, id: nextId('skip'), data: { ...base.data, cacheDir } },
      {
        runsDir: runsDir(),
        workers: 0,
        onProgress: async (event) => {
          if (event.kind === 'skipped') skipped.push(event.clipId);
          // Cut a clip's file short once training runs: it fails when its batch is next read.
          if (event.kind === 'step' && !cut) {
            cut = true;
            await writeFile(binFile(cacheDir, broken.key), new Uint8Array(7));
          }
        },
      },
    );
    expect(result.status).toBe('completed');
    expect(skipped.sort()).toEqual([broken.id, poisoned.id].sort());
    expect(result.summary.skippedClips).toEqual(
      expect.arrayContaining([
        { clipId: broken.id, reason: expect.stringMatching(/7 bytes/) },
        { clipId: poisoned.id, reason: 'audio sample 1 is NaN (not finite)' },
      ]),
    );
  });
});

describe('one code path', () => {
  it('trains single-task baselines and unimodal models, and every strategy by name', async () => {
    // No prefetch thread here: its start, per run, would cost more than these runs' steps.
    const oneEpoch = { ...base.training, epochs: 1, batchSize: 5, prefetch: false };
    const baseline = await train(
      {
        ...base,
        id: nextId('emotion-only'),
        model: { preset: 'compact', modal: 'video' },
        weighting: { method: 'static', options: { only: 'emotion' } },
        training: oneEpoch,
      },
      { runsDir: runsDir(), workers: 0 },
    );
    const steps = (await readMetrics(baseline.runDir)).records.filter((r) => r.kind === 'step');
    expect(steps.every((s) => s.kind === 'step' && s.weights.emotion === 1 && s.weights.gender === 0)).toBe(true);
    for (const method of strategyNames()) {
      const result = await train(
        {
          ...base,
          id: nextId(method),
          model: { preset: 'compact', modal: 'audio' },
          weighting: { method },
          training: oneEpoch,
        },
        { runsDir: runsDir(), workers: 0 },
      );
      expect(result.status, method).toBe('completed');
      expect((await readRun(result.runDir)).config.weighting.method).toBe(method);
    }
  });

  it('keeps tf.memory().numTensors flat over 200 steps', async () => {
    const counts: number[] = [];
    const result = await train(
      {
        ...base,
        id: nextId('memory'),
        model: { preset: 'compact', modal: 'audio' },
        training: { epochs: 25, batchSize: 1, lr: 1e-4, prefetch: false },
      },
      {
        runsDir: runsDir(),
        workers: 0,
        onProgress: (event) => {
          if (event.kind === 'step') counts.push(tf.memory().numTensors);
        },
      },
    );
    expect(result.status).toBe('completed');
    expect(counts.length).toBeGreaterThanOrEqual(200);
    expect(new Set(counts.slice(1))).toEqual(new Set([counts[1]]));
  }, 120_000);
});
