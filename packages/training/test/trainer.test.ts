import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { toMediaClip } from '@mtl/datasets';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  evaluate,
  learningRate,
  predict,
  type RunResult,
  readRun,
  resume,
  selectMetric,
  type TrainConfig,
  train,
  validateRun,
} from '../src/index.js';
import { type Corpus, tinyCorpus, tinyRun, wasm } from './fixtures.js';

let corpus: Corpus;
let config: TrainConfig;
let complete: RunResult;

beforeAll(async () => {
  await wasm();
  corpus = await tinyCorpus();
  config = tinyRun(corpus, 5);
}, 120_000);

describe('train', () => {
  it('writes a complete, valid run folder', async () => {
    const runsDir = path.join(corpus.root, 'runs');
    const before = tf.memory().numTensors;
    const evaluating = new Set<string>();
    const result = await train(
      { ...config, id: 'complete', training: { ...config.training, evaluateTrain: true } },
      {
        runsDir,
        workers: 0,
        onProgress: (e) => e.kind === 'evaluating' && evaluating.add(`${e.split} ${e.batch}/${e.batches}`),
      },
    );
    complete = result;
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
      ['train', 1],
      ['validation', 1],
      ['train', 2],
      ['validation', 2],
      ['test', run.summary!.bestEpoch],
    ]);
    expect(run.predictions.map((p) => p.clipId).sort()).toEqual(
      [...clips.validation, ...clips.test].map((c) => c.id).sort(),
    );
    expect(run.summary).toMatchObject({ status: 'completed', epochsCompleted: 2, steps: steps.length });
    const trainBatches = Math.ceil(clips.train.length / 3);
    expect(evaluating).toContain(`train ${trainBatches}/${trainBatches}`);
    expect(evaluating).toContain('test 1/1');
    const trainEval = evals.find((e) => e.split === 'train')!;
    expect(trainEval.examples).toBe(clips.train.length);
    expect(trainEval.tasks.emotion!.confusion.flat().reduce((a, b) => a + b)).toBe(clips.train.length);
    expect(run.summary!.final!.test!.tasks.emotion!.confusion.flat().reduce((a, b) => a + b)).toBe(clips.test.length);
    const confusion = JSON.parse(await readFile(path.join(result.runDir, 'confusion.json'), 'utf8'));
    expect(confusion.test.gender).toEqual(run.summary!.final!.test!.tasks.gender!.confusion);
  });

  it("evaluates and predicts with a run's checkpoint, normalising with the run's statistics", async () => {
    const run = await readRun(complete.runDir);
    const evaluation = await evaluate(complete.runDir, 'test');
    expect(evaluation.summary).toEqual(run.summary!.final!.test);
    expect(evaluation.examples).toBe(run.config.clips!.test.length);

    const manifest = JSON.parse(await readFile(corpus.manifest, 'utf8'));
    const testIds = run.config.clips!.test.map((c) => c.id);
    const entries = manifest.entries.filter((e: { id: string }) => testIds.includes(e.id));
    const before = tf.memory().numTensors;
    const { predictions, failed } = await predict(
      complete.runDir,
      [...entries.map((e: never) => toMediaClip(manifest, e)), { id: 'missing', audioPath: '/nowhere.wav' }],
      { workers: 0 },
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(failed.map((f) => f.id)).toEqual(['missing']);
    expect(predictions.map((p) => p.clipId).sort()).toEqual([...testIds].sort());
    const stored = run.predictions.find((p) => p.clipId === predictions[0]!.clipId)!;
    expect(Object.values(predictions[0]!.probabilities.emotion!)).toEqual(stored.probabilities.emotion);
    expect(Object.keys(predictions[0]!.probabilities.gender!)).toEqual(['female', 'male']);
    await expect(evaluate(complete.runDir, 'train', { checkpoint: 'last' })).resolves.toMatchObject({
      examples: run.config.clips!.train.length,
    });
  });

  it('stops early with patience, and refuses bad settings with clear errors', async () => {
    const runsDir = path.join(corpus.root, 'runs');
    // accuracy rarely improves on 3 clips: patience 1 stops the run well before 6 epochs.
    const early = await train(
      {
        ...config,
        id: 'early',
        model: { preset: 'compact', modal: 'audio' },
        training: { epochs: 6, batchSize: 4, lr: 1e-6, patience: 1, selectMetric: 'gender.accuracy' },
      },
      { runsDir, workers: 0 },
    );
    expect(early.status).toBe('completed');
    expect(early.summary.epochsCompleted).toBeLessThan(6);
    expect(early.summary.epochsCompleted).toBe(early.summary.bestEpoch! + 1);
    await expect(train({ ...config, id: 'complete' }, { runsDir })).rejects.toThrow(/already exists/);
    await expect(
      train({ ...config, id: 'bad-method', weighting: { method: 'nope' } }, { runsDir, workers: 0 }),
    ).rejects.toThrow(/unknown strategy "nope"; valid: static, softmax/);
    await expect(
      train({ ...config, id: 'bad-batch', training: { batchSize: 0 } }, { runsDir, workers: 0 }),
    ).rejects.toThrow("train config of run 'bad-batch': field 'training.batchSize' must be >= 1, got 0");
    // Nothing is written for a run whose settings are wrong.
    expect(existsSync(path.join(runsDir, 'bad-method'))).toBe(false);
    expect(existsSync(path.join(runsDir, 'bad-batch'))).toBe(false);
    await expect(resume(complete.runDir)).rejects.toThrow(/has already completed/);
    expect(() => selectMetric('emotion.auc', ['emotion'])).toThrow(
      "unknown metric 'emotion.auc'; valid: joint.nll, emotion.nll, emotion.accuracy",
    );
  });
});

describe('learning rate', () => {
  it('follows the step and cosine schedules', () => {
    const step = { lr: 1e-4, epochs: 30, schedule: { kind: 'step', stepEpochs: 10, gamma: 0.1 } } as const;
    expect([1, 10, 11, 21].map((e) => learningRate(step, e))).toEqual([1e-4, 1e-4, 1e-4 * 0.1, 1e-4 * 0.1 ** 2]);
    const cosine = { lr: 1, epochs: 5, schedule: { kind: 'cosine', minLr: 0 } } as const;
    const values = [1, 2, 3, 4, 5].map((e) => learningRate(cosine, e));
    expect(values[0]).toBe(1);
    expect(values[2]).toBeCloseTo(0.5, 12);
    expect(values[4]).toBeCloseTo(0, 12);
    expect(learningRate({ lr: 3, epochs: 2, schedule: { kind: 'constant' } }, 2)).toBe(3);
  });
});
