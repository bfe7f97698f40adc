import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeStrategies } from '@mtl/dynamic-loss';
import { runFfmpeg } from '@mtl/media';
import { readMetrics, readRunConfig, readSummary, validateRun } from '@mtl/training/run-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './cli.js';
import { preparedCorpus } from './fixtures.js';

const FAST = ['--batch-size', '4', '--threads', '1'];

describe('train, resume, eval, predict', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let data: string;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('train'));
    data = await preparedCorpus(dir);
  });
  afterAll(() => cleanup());

  it('--help lists every weighting method with its options, from @mtl/dynamic-loss', async () => {
    const { code, stdout } = await runCli(['train', '--help']);
    expect(code).toBe(0);
    for (const method of describeStrategies()) {
      expect(stdout).toContain(`  ${method.name.padEnd(12)} ${method.summary}`);
      for (const option of method.options) expect(stdout).toContain(`${option.name}: ${option.doc}`);
    }
  });

  it('a bad weighting option exits 2 naming the method and the valid options', async () => {
    const { code, stderr } = await runCli([
      'train',
      '--data',
      data,
      '--weighting',
      'static',
      '--weighting-option',
      'onlyy=emotion',
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option 'onlyy'; valid options: weights, only");
  });

  it('flags override the config file and the resolved config is written into the run', async () => {
    const config = join(dir, 'run.yaml');
    await writeFile(
      config,
      'modal: audio\nweighting: static\nweighting-option: { only: emotion }\nepochs: 5\nlr: 0.003\n',
    );
    const result = await runCli([
      'train',
      '--config',
      config,
      '--data',
      data,
      '--epochs',
      '1',
      '--out',
      join(dir, 'runs'),
      '--run-id',
      'cfg',
      ...FAST,
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const run = join(dir, 'runs', 'cfg');
    const resolved = await readRunConfig(run);
    expect(resolved.training.epochs).toBe(1);
    expect(resolved.training.lr).toBe(0.003);
    expect(resolved.model.modal).toBe('audio');
    expect(resolved.weighting).toEqual({ method: 'static', options: { only: 'emotion' } });
    expect((await validateRun(run)).errors).toEqual([]);
    expect(await readFile(join(run, 'train-options.yaml'), 'utf8')).toContain('epochs: 1');
    expect(JSON.parse(result.stdout).status).toBe('completed');
  });

  it('--frames-per-chunk reaches the model config; a bad value exits 2 naming the flag', async () => {
    const runs = join(dir, 'runs');
    const result = await runCli([
      'train',
      '--data',
      data,
      '--modal',
      'video',
      '--frames-per-chunk',
      '3',
      '--epochs',
      '1',
      '--out',
      runs,
      '--run-id',
      'chunks',
      ...FAST,
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const config = (await readRunConfig(join(runs, 'chunks'))).model.config as { video: { framesPerChunk?: number } };
    expect(config.video.framesPerChunk).toBe(3);
    const bad = await runCli(['train', '--data', data, '--frames-per-chunk', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--frames-per-chunk');
  });

  it('a bad config file entry exits 2 naming the file and the key', async () => {
    const config = join(dir, 'bad.yaml');
    await writeFile(config, 'epochs: 0\n');
    const { code, stderr } = await runCli(['train', '--config', config, '--data', data]);
    expect(code).toBe(2);
    expect(stderr).toContain(`config file ${config}: 'epochs' must be a whole number >= 1, got 0`);
  });

  it('Ctrl-C stops after a step with a checkpoint (exit 130); --resume finishes the run', async () => {
    const runs = join(dir, 'runs');
    const run = join(runs, 'sigint');
    const interrupted = await runCli(
      ['train', '--data', data, '--modal', 'multi', '--epochs', '3', '--out', runs, '--run-id', 'sigint', ...FAST],
      {
        onStart: (child) => {
          const poll = setInterval(async () => {
            const text = await readFile(join(run, 'metrics.jsonl'), 'utf8').catch(() => '');
            if (text.includes('"kind":"step"')) {
              clearInterval(poll);
              child.kill('SIGINT');
            }
          }, 50);
          child.on('close', () => clearInterval(poll));
        },
      },
    );
    expect(interrupted.code, interrupted.stderr).toBe(130);
    expect(interrupted.stdout).toContain(`train --resume ${run}`);
    const stopped = await readSummary(run);
    expect(stopped?.status).toBe('interrupted');
    expect(stopped!.epochsCompleted).toBeLessThan(3);

    const resumed = await runCli(['train', '--resume', run, '--threads', '1', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = await readSummary(run);
    expect(summary).toMatchObject({ status: 'completed', epochsCompleted: 3 });
    const steps = (await readMetrics(run)).records.filter((r) => r.kind === 'step').map((r) => r.step);
    expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i + 1)); // no step lost or repeated
    expect((await validateRun(run)).errors).toEqual([]);
  });

  it('eval prints the metrics of a split; predict judges files it never saw, any container', async () => {
    const run = join(dir, 'runs', 'sigint');
    const evaluation = await runCli(['eval', '--run', run, '--split', 'test', '--json', '--threads', '1']);
    expect(evaluation.code, evaluation.stderr).toBe(0);
    const metrics = JSON.parse(evaluation.stdout);
    expect(metrics.tasks.emotion.confusion).toHaveLength(4);
    expect(metrics.examples).toBeGreaterThan(0);

    // New speakers from another seed, re-muxed to Matroska, and a file that is no media.
    const other = join(dir, 'unseen');
    expect(
      (
        await runCli([
          'synth',
          '--out',
          other,
          '--speakers',
          '2',
          '--clips-per-speaker',
          '4',
          '--duration',
          '1',
          '--seed',
          '9',
        ])
      ).code,
    ).toBe(0);
    const mkv = join(dir, 'clip.mkv');
    await runFfmpeg(['-y', '-i', join(other, 'video', 'spk01', 'spk01_anger_01.mp4'), '-c', 'copy', mkv]);
    expect((await stat(mkv)).size).toBeGreaterThan(0);
    const text = join(dir, 'notes.mp4');
    await writeFile(text, 'not a video\n');
    const mp4 = join(other, 'video', 'spk02', 'spk02_sadness_01.mp4');
    const result = await runCli(['predict', '--run', run, mkv, mp4, text, '--json', '--threads', '1']);
    expect(result.code, result.stderr).toBe(3);
    const output = JSON.parse(result.stdout);
    expect(output.predictions.map((p: { file: string }) => p.file)).toEqual([mkv, mp4]);
    for (const p of output.predictions) {
      const emotion = Object.values(p.probabilities.emotion) as number[];
      expect(emotion).toHaveLength(4);
      expect(emotion.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(['female', 'male']).toContain(p.predicted.gender);
    }
    expect(output.failed).toEqual([{ file: text, reason: expect.stringContaining('not a readable media file') }]);
  });
});
