import { describe, expect, it } from 'vitest';
import { runCli } from './cli.js';

describe('help and usage errors', () => {
  it('lists every command with a pointer to the demo', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    for (const command of ['synth', 'prepare', 'model-info']) expect(stdout).toContain(command);
    expect(stdout).toContain('mtl-trainer demo');
    expect(stdout).toMatch(/Exit codes: 0 done, 1 failed, 2 wrong/);
  });

  it('prepare --help shows every option, its default and the examples', async () => {
    const { code, stdout } = await runCli(['prepare', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--root <DIR>\s+the corpus folder/);
    expect(stdout).toMatch(/--crop <NAME>.*one of: fixed, detect, full/s);
    expect(stdout).toContain('Examples:');
    expect(stdout).toContain('$ mtl-trainer prepare --root data/synthetic --out data/prepared');
  });

  it('an unknown flag exits 2 with the nearest valid one', async () => {
    const { code, stderr } = await runCli(['prepare', '--rot', 'x']);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option '--rot'");
    expect(stderr).toContain('Did you mean --root?');
  });

  it('a bad value exits 2 naming the flag and the choices', async () => {
    const { code, stderr } = await runCli(['model-info', '--modal', 'smell']);
    expect(code).toBe(2);
    expect(stderr).toContain('error: --modal must be one of audio, video, multi, got "smell"');
  });

  it('a missing required option says where its value comes from', async () => {
    const { code, stderr } = await runCli(['prepare', '--out', 'x']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/missing --root DIR: .*mtl-trainer synth/);
  });

  it('model-info --json gives the parameter split of the preset', async () => {
    const { code, stdout } = await runCli(['model-info', '--preset', 'compact', '--modal', 'audio', '--json']);
    expect(code).toBe(0);
    const info = JSON.parse(stdout);
    expect(info.parameters.total).toBe(info.parameters.shared + info.parameters.heads);
    expect(info.parameters.video).toBe(0);
    expect(info.flopsPerSecond.total).toBeGreaterThan(0);
  });
});
