import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXPERIMENT_METRICS, readExperimentResults } from '@mtl/training/run-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './cli.js';
import { preparedCorpus } from './fixtures.js';

describe('experiment', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let data: string;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('experiment'));
    data = await preparedCorpus(dir);
  });
  afterAll(() => cleanup());

  it('a 2x2 grid with 1 epoch writes a valid table; a re-run trains nothing again', async () => {
    const grid = join(dir, 'grid.yaml');
    await writeFile(
      grid,
      'modals: [audio, multi]\nweightings:\n  - { method: static, label: uniform }\n  - softmax\ntrain: { epochs: 1, batchSize: 4 }\n',
    );
    const args = [
      'experiment',
      '--data',
      data,
      '--grid',
      grid,
      '--folds',
      '1',
      '--jobs',
      '2',
      '--runs',
      join(dir, 'runs'),
      '--out',
      join(dir, 'experiments'),
    ];
    const first = await runCli(args);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/\| modal \| weighting \| emotion UA \|/);
    expect(first.stdout).toContain(`viewer:  pnpm viewer --runs ${join(dir, 'runs')}`);

    const results = await readExperimentResults(join(dir, 'experiments', 'grid')); // validates the format
    expect(results.protocol).toMatchObject({
      corpus: 'synthetic',
      speakerIndependent: true,
      seeds: [1],
      folds: [0],
      epochs: 1,
      preset: 'compact',
    });
    expect(results.rows.map((r) => [r.modal, r.weighting.label])).toEqual([
      ['audio', 'uniform'],
      ['audio', 'softmax'],
      ['multi', 'uniform'],
      ['multi', 'softmax'],
    ]);
    for (const row of results.rows) {
      expect(row.failed).toEqual([]);
      expect(row.runs).toHaveLength(1);
      for (const metric of EXPERIMENT_METRICS) {
        expect(row.metrics[metric]).toMatchObject({ n: 1, std: 0 });
        expect(Number.isFinite(row.metrics[metric]!.mean)).toBe(true);
      }
      const joint = row.metrics['joint.nll']!.mean;
      expect(joint).toBeCloseTo(row.metrics['emotion.nll']!.mean + row.metrics['gender.nll']!.mean, 6);
    }
    const markdown = await readFile(join(dir, 'experiments', 'grid', 'results.md'), 'utf8');
    expect(markdown).toContain('speaker-independent');
    expect(
      markdown.split('\n').filter((line) => line.startsWith('| audio') || line.startsWith('| multi')),
    ).toHaveLength(4);

    const before = await readFile(join(dir, 'experiments', 'grid', 'results.json'), 'utf8');
    const again = await runCli(args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('4 already finished, 0 to run');
    expect(await readFile(join(dir, 'experiments', 'grid', 'results.json'), 'utf8')).toEqual(before);
  });

  it('a cell that fails for a real error is reported with its reason; the others still make the table (exit 3)', async () => {
    const audioOnly = await preparedCorpus(dir, { audioOnly: true });
    const grid = join(dir, 'mixed.yaml');
    await writeFile(grid, 'modals: [audio, video]\nweightings: [static]\ntrain: { epochs: 1, batchSize: 4 }\n');
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
      join(dir, 'experiments'),
    ]);
    expect(result.code, result.stderr).toBe(3);
    const results = await readExperimentResults(join(dir, 'experiments', 'mixed'));
    const [audio, video] = results.rows;
    expect(audio).toMatchObject({ modal: 'audio', failed: [] });
    expect(audio!.runs).toHaveLength(1);
    expect(video).toMatchObject({ modal: 'video', runs: [], metrics: {} });
    expect(video!.failed).toEqual([
      { runId: 'mixed--video-static-fold0-seed1', reason: expect.stringContaining('no training clips') },
    ]);
    expect(await readFile(join(dir, 'experiments', 'mixed', 'results.md'), 'utf8')).toContain('## Failed runs');
  });

  it('a grid file with an unknown weighting option exits 2 before training anything', async () => {
    const grid = join(dir, 'bad-grid.yaml');
    await writeFile(grid, 'modals: [audio]\nweightings: [{ method: dwa, options: { temp: 2 } }]\n');
    const { code, stderr } = await runCli(['experiment', '--data', data, '--grid', grid]);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option 'temp'; valid options: temperature");
  });
});
