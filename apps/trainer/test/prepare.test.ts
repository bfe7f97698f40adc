import { readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readManifest } from '@mtl/datasets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './cli.js';

describe('synth + prepare', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('prepare'));
    const synth = await runCli([
      'synth',
      '--out',
      join(dir, 'corpus'),
      '--speakers',
      '4',
      '--clips-per-speaker',
      '4',
      '--duration',
      '1',
    ]);
    expect(synth.code, synth.stderr).toBe(0);
  });
  afterAll(() => cleanup());

  it('a missing corpus root exits 2 and says how to make one', async () => {
    const { code, stderr } = await runCli(['prepare', '--root', join(dir, 'nowhere'), '--out', join(dir, 'p0')]);
    expect(code).toBe(2);
    expect(stderr).toContain(`corpus folder ${join(dir, 'nowhere')} does not exist`);
    expect(stderr).toContain('mtl-trainer synth --out');
  });

  it('a folder that is no corpus exits 2 naming the layouts it knows', async () => {
    const { code, stderr } = await runCli([
      'prepare',
      '--root',
      join(dir, 'corpus', 'audio'),
      '--out',
      join(dir, 'p0'),
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/holds no corpus this tool knows: expected IEMOCAP/);
  });

  it('prepares every clip of a good corpus (exit 0) and a re-run takes them from the cache', async () => {
    const out = join(dir, 'good');
    const first = await runCli(['prepare', '--root', join(dir, 'corpus'), '--out', out, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout);
    expect(report).toMatchObject({ usable: 16, failed: 0, cached: 0, exitCode: 0 });
    const again = JSON.parse((await runCli(['prepare', '--root', join(dir, 'corpus'), '--out', out, '--json'])).stdout);
    expect(again).toMatchObject({ usable: 16, cached: 16 });
    const prepared = JSON.parse(await readFile(join(out, 'prepared.json'), 'utf8'));
    expect(Object.keys(prepared.clips)).toHaveLength(16);
    expect(prepared.preprocessing).toMatchObject({ fps: 10, video: { size: 32, crop: { mode: 'full' } } });
  });

  it('broken files among good ones: each reported by path and reason, exit 3, the good ones prepared', async () => {
    const { dir: broken, cleanup: done } = await tempDir('broken');
    try {
      const synth = await runCli([
        'synth',
        '--out',
        broken,
        '--speakers',
        '4',
        '--clips-per-speaker',
        '4',
        '--duration',
        '1',
      ]);
      expect(synth.code).toBe(0);
      // Not audio at all: the loader sees it from the first bytes.
      const notWav = join(broken, 'audio', 'spk01', 'spk01_anger_01.wav');
      await writeFile(notWav, 'this is not a wav file, just text that a careless copy left here\n');
      // A real MP4 cut short: its header is fine, decoding fails.
      const cutMp4 = join(broken, 'video', 'spk02', 'spk02_sadness_01.mp4');
      await truncate(cutMp4, Math.floor((await stat(cutMp4)).size / 8));
      const out = join(broken, 'prepared');
      const result = await runCli(['prepare', '--root', broken, '--out', out]);
      expect(result.code, result.stderr).toBe(3);
      expect(result.stdout).toContain('2 files could not be used:');
      expect(result.stdout).toContain(`${notWav}:`);
      expect(result.stdout).toContain(`${cutMp4}:`);
      expect(result.stdout).toContain('prepared 14 clips');
      const manifest = await readManifest(join(out, 'manifest.json'));
      expect(manifest.entries.map((e) => e.id)).not.toContain('spk01_anger_01');
      expect(manifest.entries.map((e) => e.id)).not.toContain('spk02_sadness_01');
      expect(manifest.entries).toHaveLength(14);
      const prepared = JSON.parse(await readFile(join(out, 'prepared.json'), 'utf8'));
      expect(Object.keys(prepared.clips)).toHaveLength(14);
      expect(prepared.problems.map((p: { stage: string }) => p.stage).sort()).toEqual(['load', 'preprocess']);
    } finally {
      await done();
    }
  });
});
