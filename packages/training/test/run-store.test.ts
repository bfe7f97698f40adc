import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import {
  type EvalRecord,
  parseMetrics,
  type RunConfig,
  RunStoreError,
  type RunSummary,
  readMetrics,
  readRun,
  type StepRecord,
  validateExperimentResults,
  validateRun,
  validateRunConfig,
} from '../src/run-store/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));

const config: RunConfig = {
  format: 'mtl-run/1',
  id: 'r1',
  createdAt: '2026-01-01T00:00:00.000Z',
  data: { corpus: 'synthetic', dataDir: '/d', manifest: '/d/manifest.json', cacheDir: '/c' },
  split: { name: 'speaker', fold: null },
  seed: 1,
  model: { preset: 'compact', modal: 'multi', config: { preset: 'compact' } },
  weighting: { method: 'softmax', options: {} },
  tasks: [
    { name: 'emotion', classes: ['neutral', 'anger', 'happiness', 'sadness'] },
    { name: 'gender', classes: ['female', 'male'] },
  ],
  training: {
    epochs: 2,
    batchSize: 2,
    lr: 1e-4,
    schedule: { kind: 'step', stepEpochs: 10, gamma: 0.1 },
    clipNorm: 1,
    patience: null,
    selectMetric: 'joint.nll',
  },
  preprocessing: {},
  audioStats: { mean: 0, std: 1 },
  versions: { '@mtl/training': '0.1.0' },
};
const step: StepRecord = {
  kind: 'step',
  step: 1,
  epoch: 1,
  wallTime: 0.5,
  lr: 1e-4,
  loss: 1.2,
  lossUnweighted: 2.4,
  losses: { emotion: 1.5, gender: 0.9 },
  weights: { emotion: 0.5, gender: 0.5 },
  examplesPerSecond: 4,
};
const task = {
  nll: 1,
  accuracy: 0.5,
  ua: 0.5,
  wa: 0.5,
  f1: 0.4,
  confusion: [
    [1, 1],
    [0, 2],
  ],
};
const evaluation: EvalRecord = {
  kind: 'eval',
  step: 1,
  epoch: 1,
  split: 'validation',
  wallTime: 1,
  loss: 1,
  lossUnweighted: 2,
  weights: { emotion: 0.5, gender: 0.5 },
  examplesPerSecond: 10,
  tasks: { emotion: task, gender: task },
};
const summary: RunSummary = {
  status: 'completed',
  epochsCompleted: 2,
  steps: 4,
  bestEpoch: 1,
  bestMetric: { name: 'joint.nll', value: 2 },
  wallTime: 3,
};

async function writeRun(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'run-store-'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

const lines = (...records: unknown[]) => records.map((r) => `${JSON.stringify(r)}\n`).join('');

describe('run store', () => {
  it('reads a good run', async () => {
    const dir = await writeRun({
      'config.json': JSON.stringify(config),
      'metrics.jsonl': lines(step, evaluation),
      'summary.json': JSON.stringify(summary),
      'predictions.jsonl': lines({
        clipId: 'c1',
        split: 'test',
        truth: { emotion: 1, gender: 0 },
        probabilities: { emotion: [0.1, 0.6, 0.2, 0.1], gender: [0.7, 0.3] },
      }),
    });
    const run = await readRun(dir);
    expect(run.config.id).toBe('r1');
    expect(run.metrics.map((m) => m.kind)).toEqual(['step', 'eval']);
    expect(run.summary?.status).toBe('completed');
    expect(run.predictions[0]?.clipId).toBe('c1');
    expect(run.warnings).toEqual([]);
    expect(await validateRun(dir)).toEqual({ ok: true, errors: [], warnings: [] });
  });

  it('tolerates and reports a half-written last line of metrics.jsonl', async () => {
    const dir = await writeRun({
      'config.json': JSON.stringify(config),
      'metrics.jsonl': `${lines(step, evaluation)}{"kind":"step","step":2,"epo`,
    });
    const metrics = await readMetrics(dir);
    expect(metrics.records).toHaveLength(2);
    expect(metrics.partialLastLine).toMatchObject({ line: 3, text: '{"kind":"step","step":2,"epo' });
    const run = await readRun(dir);
    expect(run.warnings.join('\n')).toMatch(/metrics\.jsonl:3: last line is incomplete/);
    expect(run.warnings.join('\n')).toMatch(/summary\.json: not written yet/);
    expect((await validateRun(dir)).ok).toBe(true);
  });

  it('names file, line and field of a bad record', async () => {
    const bad = { ...step, losses: { emotion: 'high' } };
    expect(() => parseMetrics(lines(step, bad), '/r/metrics.jsonl')).toThrow(
      '/r/metrics.jsonl:2: field \'losses.emotion\' must be a number, got "high"',
    );
    const missing: Partial<EvalRecord> = { ...evaluation };
    delete missing.tasks;
    expect(() => parseMetrics(lines(missing))).toThrow("metrics.jsonl:1: field 'tasks' is missing");
    expect(() => parseMetrics(lines({ ...evaluation, split: 'dev' }))).toThrow(
      'field \'split\' must be one of "train", "validation", "test", got "dev"',
    );
    expect(() => parseMetrics(lines({ kind: 'epoch' }))).toThrow('field \'kind\' must be one of "step", "eval"');
    const confusion = { ...evaluation, tasks: { emotion: { ...task, confusion: [[1, 0.5]] } } };
    expect(() => parseMetrics(lines(confusion))).toThrow("field 'tasks.emotion.confusion[0][1]' must be an integer");
  });

  it('rejects a broken line in the middle, even when later lines are fine', () => {
    expect(() => parseMetrics(`${lines(step)}{"kind":\n${lines(step)}`, 'm.jsonl')).toThrow(
      /^m\.jsonl:2: is not valid JSON/,
    );
    // A complete last line (it ends with a newline) that is not JSON was not cut off mid-write.
    expect(() => parseMetrics(`${lines(step)}{"kind":\n`, 'm.jsonl')).toThrow(/^m\.jsonl:2: is not valid JSON/);
  });

  it('collects every problem of a broken run', async () => {
    const dir = await writeRun({
      'config.json': JSON.stringify({ ...config, format: 'mtl-run/0' }),
      'metrics.jsonl': lines({ ...step, epoch: 0 }),
      'summary.json': '{"status": "completed"',
    });
    const result = await validateRun(dir);
    expect(result.ok).toBe(false);
    expect(result.errors).toHaveLength(3);
    expect(result.errors[0]).toMatch(/config\.json: field 'format' must be one of "mtl-run\/1", got "mtl-run\/0"/);
    expect(result.errors[1]).toMatch(/metrics\.jsonl:1: field 'epoch' must be >= 1, got 0/);
    expect(result.errors[2]).toMatch(/summary\.json: is not valid JSON/);
    await expect(readRun(dir)).rejects.toBeInstanceOf(RunStoreError);
    const empty = await writeRun({});
    await expect(readRun(empty)).rejects.toThrow(/config\.json: does not exist/);
  });

  it('validates config and experiment results with field paths', () => {
    expect(() => validateRunConfig({ ...config, tasks: [{ name: 'emotion', classes: [1] }] }, { file: 'c' })).toThrow(
      "c: field 'tasks[0].classes[0]' must be a string, got 1",
    );
    const results = {
      format: 'mtl-experiment/1',
      name: 'grid',
      protocol: {
        corpus: 'synthetic',
        split: 'speaker',
        speakerIndependent: true,
        seeds: [1, 2],
        folds: [],
        epochs: 3,
        preset: 'compact',
      },
      rows: [
        {
          modal: 'multi',
          weighting: { method: 'static', options: {}, label: 'static' },
          runs: ['a', 'b'],
          failed: [],
          metrics: { 'emotion.ua': { mean: 0.5, std: 0.1, n: 2 } },
        },
      ],
    };
    expect(validateExperimentResults(results, { file: 'results.json' }).rows).toHaveLength(1);
    const bad = { ...results, rows: [{ ...results.rows[0], metrics: { 'emotion.ua': { mean: 0.5, n: 2 } } }] };
    expect(() => validateExperimentResults(bad, { file: 'results.json' })).toThrow(
      "results.json: field 'rows[0].metrics.emotion.ua.std' is missing",
    );
  });

  it('imports no tfjs', async () => {
    const result = await build({
      entryPoints: [path.join(here, '../src/run-store/index.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      conditions: ['@mtl/source'],
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((input) => input.includes('run-store/read.ts'))).toBe(true);
    expect(inputs.filter((input) => /@tensorflow|node_modules|packages\/(?!training)/.test(input))).toEqual([]);
    const imports = Object.values(result.metafile.outputs).flatMap((output) => output.imports.map((i) => i.path));
    expect(imports.every((name) => name.startsWith('node:'))).toBe(true);
  });
});
