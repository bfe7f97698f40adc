import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findFfmpeg, runFfmpeg } from '../src/index.js';

const savedEnv = { ...process.env };
afterEach(() => {
  process.env = { ...savedEnv };
});

describe('findFfmpeg', () => {
  it('defaults to the npm binaries, which run', async () => {
    delete process.env.FFMPEG_PATH;
    delete process.env.FFPROBE_PATH;
    const found = findFfmpeg();
    expect(found.source).toBe('npm');
    expect(found.ffmpeg).toContain('@ffmpeg-installer');
    expect(found.ffprobe).toContain('@ffprobe-installer');
    const { stdout } = await runFfmpeg(['-version'], { binaries: found });
    expect(stdout.toString()).toMatch(/^ffmpeg version/);
    const probe = await runFfmpeg(['-version'], { binaries: found, tool: 'ffprobe' });
    expect(probe.stdout.toString()).toMatch(/^ffprobe version/);
  });

  it('honours FFMPEG_PATH and finds ffprobe next to it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtl-ffmpeg-'));
    try {
      for (const name of ['ffmpeg', 'ffprobe']) {
        writeFileSync(join(dir, name), '#!/bin/sh\n');
        chmodSync(join(dir, name), 0o755);
      }
      process.env.FFMPEG_PATH = join(dir, 'ffmpeg');
      delete process.env.FFPROBE_PATH;
      expect(findFfmpeg()).toEqual({
        ffmpeg: join(dir, 'ffmpeg'),
        ffprobe: join(dir, 'ffprobe'),
        source: 'FFMPEG_PATH',
      });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('rejects an FFMPEG_PATH that is not an executable file, naming the variable', () => {
    process.env.FFMPEG_PATH = '/nonexistent/ffmpeg';
    expect(() => findFfmpeg()).toThrow(/FFMPEG_PATH=\/nonexistent\/ffmpeg is not an executable/);
  });
});

describe('runFfmpeg', () => {
  it('encodes a tone to WAV on stdout', async () => {
    const { stdout } = await runFfmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=0.1', '-f', 'wav', '-']);
    expect(stdout.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(stdout.length).toBeGreaterThan(44 + 0.09 * 44100 * 2);
  });

  it('feeds stdin and streams stdout to a callback', async () => {
    const { stdout: wav } = await runFfmpeg(['-f', 'lavfi', '-i', 'sine=duration=0.05', '-f', 'wav', '-']);
    let bytes = 0;
    const result = await runFfmpeg(['-i', 'pipe:0', '-f', 's16le', '-'], {
      input: wav,
      onStdout: (chunk) => {
        bytes += chunk.length;
      },
    });
    expect(result.stdout.length).toBe(0);
    expect(bytes).toBe(0.05 * 44100 * 2); // 16-bit samples of the 44.1 kHz tone
  });

  it('rejects with the command and the tool’s own error', async () => {
    await expect(runFfmpeg(['-i', '/nonexistent/clip.mp4', '-f', 'null', '-'])).rejects.toThrow(
      /\/nonexistent\/clip\.mp4: No such file or directory/,
    );
  });
});
