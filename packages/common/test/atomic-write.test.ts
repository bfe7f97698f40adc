import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAtomicTempFile, writeFileAtomic } from '../src/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mtl-common-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes text, bytes and chunks, replacing the old content, and leaves no temporary file', async () => {
    const file = join(dir, 'index.json');
    await writeFileAtomic(file, '{"a":1}\n');
    expect(await readFile(file, 'utf8')).toBe('{"a":1}\n');
    await writeFileAtomic(file, new Uint8Array([1, 2, 3]));
    expect([...(await readFile(file))]).toEqual([1, 2, 3]);
    async function* chunks() {
      yield 'head,';
      yield new TextEncoder().encode('tail');
    }
    await writeFileAtomic(file, chunks());
    expect(await readFile(file, 'utf8')).toBe('head,tail');
    expect(await readdir(dir)).toEqual(['index.json']);
  });

  it('keeps the old content and removes its temporary file when the write fails midway', async () => {
    const file = join(dir, 'weights.bin');
    await writeFile(file, 'old content');
    let written = 0;
    async function* failing() {
      yield new Uint8Array(64 * 1024).fill(7);
      written++;
      throw new Error('producer died');
    }
    await expect(writeFileAtomic(file, failing())).rejects.toThrow(`cannot write '${file}': producer died`);
    expect(written).toBe(1);
    expect(await readFile(file, 'utf8')).toBe('old content');
    expect(await readdir(dir)).toEqual(['weights.bin']);
  });

  it('removes its temporary file when the rename fails, and names the file and the system error', async () => {
    const target = join(dir, 'clip.json');
    await mkdir(target); // a folder where the file should go
    const error = (await writeFileAtomic(target, 'x').then(
      () => undefined,
      (e: unknown) => e,
    )) as NodeJS.ErrnoException;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(`cannot write '${target}'`);
    expect(['EISDIR', 'ENOTEMPTY', 'EEXIST', 'EPERM']).toContain(error.code);
    expect(await readdir(dir)).toEqual(['clip.json']);
    await expect(writeFileAtomic(join(dir, 'missing', 'a.json'), 'x')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('leaves one whole version when many writers race for one file', async () => {
    const file = join(dir, 'manifest.json');
    const versions = Array.from({ length: 16 }, (_, i) => `${String(i).repeat(20_000)}\n`);
    await Promise.all(versions.map((text) => writeFileAtomic(file, text)));
    expect(versions).toContain(await readFile(file, 'utf8'));
    expect(await readdir(dir)).toEqual(['manifest.json']);
  });

  it('names its temporary files so a cleaner can find them', () => {
    expect(isAtomicTempFile('index.json.0badcafe-1234.0a1b2c3d4e5f.tmp')).toBe(true);
    expect(isAtomicTempFile('index.json')).toBe(false);
    expect(isAtomicTempFile('notes.tmp')).toBe(false);
  });
});
