import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { readRun, type TrainConfig, train, validateRun } from '../src/index.js';
import { type Corpus, tinyCorpus, wasm } from './fixtures.js';

let corpus: Corpus;
let config: TrainConfig;

beforeAll(async () => {
  await wasm();
  corpus = await tinyCorpus();
  config = {
    data: { manifest: corpus.manifest, cacheDir: corpus.cacheDir },
    split: { name: 'random' },
    seed: 5,
    model: { preset: 'compact', modal: 'multi' },
    weighting: { method: 'softmax' },
    training: { epochs: 2, batchSize: 3, lr: 1e-3 },
  };
}, 120_000);

describe('train', () => {
  it('writes a complete, valid run folder', async () => {
    const runsDir = path.join(corpus.root, 'runs');
    const before = tf.memory().numTensors;
    const result = await train({ ...config, id: 'complete' }, { runsDir, workers: 0 });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.status).toBe('completed');
    const check = await validateRun(result.runDir);
    expect(check).toEqual({ ok: true, errors: [], warnings: [] });
    const run = await readRun(result.runDir);
    const steps = run.metrics.filter((m) => m.kind === 'step');
    const evals = run.metrics.filter((m) => m.kind === 'eval');
    const clips = run.config.clips!;
    expect(steps).toHaveLength(2 * Math.ceil(clips.train.length / 3));
    expect(evals.map((e) => [e.split, e.epoch])).toEqual([
      ['validation', 1],
      ['validation', 2],
      ['test', run.summary!.bestEpoch],
    ]);
    expect(run.predictions.map((p) => p.clipId).sort()).toEqual(
      [...clips.validation, ...clips.test].map((c) => c.id).sort(),
    );
    expect(run.summary).toMatchObject({ status: 'completed', epochsCompleted: 2, steps: steps.length });
    expect(run.summary!.final!.test!.tasks.emotion!.confusion.flat().reduce((a, b) => a + b)).toBe(clips.test.length);
    const confusion = JSON.parse(await readFile(path.join(result.runDir, 'confusion.json'), 'utf8'));
    expect(confusion.test.gender).toEqual(run.summary!.final!.test!.tasks.gender!.confusion);
  });
});
