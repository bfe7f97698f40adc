import { fork } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostTag, isAtomicTempFile, removeStaleTempFiles, withFileLock } from '../src/index.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const script = (name: string) => join(import.meta.dirname, 'processes', name);
const run = (name: string, args: string[]) =>
  fork(script(name), args, { execArgv: ['--import', tsx], stdio: 'inherit' });
const exited = (child: ReturnType<typeof fork>) =>
  new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mtl-common-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('withFileLock', () => {
  it('makes read-modify-write from several processes lose nothing', async () => {
    const counter = join(dir, 'counter');
    await writeFile(counter, '0');
    const children = Array.from({ length: 4 }, () =>
      run('count-under-lock.ts', [counter, join(dir, 'counter.lock'), '25']),
    );
    expect(await Promise.all(children.map(exited))).toEqual([0, 0, 0, 0]);
    expect(await readFile(counter, 'utf8')).toBe('100');
    expect(await readdir(dir)).toEqual(['counter']);
  }, 60_000);

  it('takes over a lock whose holder died, waits for a live one, and releases on failure', async () => {
    const lock = join(dir, 'index.lock');
    await writeFile(lock, JSON.stringify({ host: await hostTag(), pid: 2 ** 22 + 12345, at: Date.now() }));
    expect(await withFileLock(lock, async () => 'ran')).toBe('ran');
    await expect(withFileLock(lock, async () => Promise.reject(new Error('task failed')))).rejects.toThrow(
      'task failed',
    );
    expect(await readdir(dir)).toEqual([]);

    await writeFile(lock, JSON.stringify({ host: await hostTag(), pid: process.pid, at: Date.now() }));
    await expect(withFileLock(lock, async () => 'never', { timeoutMs: 100 })).rejects.toThrow(
      `'${lock}' is held by process ${process.pid}`,
    );
  });
});

describe('removeStaleTempFiles', () => {
  it("removes what a killed writer left, and keeps a live writer's file", async () => {
    const target = join(dir, 'clip.bin');
    const killed = run('hold-temp-file.ts', [target]);
    await new Promise((resolve) => killed.once('message', resolve));
    const live = run('hold-temp-file.ts', [join(dir, 'other.bin')]);
    await new Promise((resolve) => live.once('message', resolve));
    killed.kill('SIGKILL');
    await exited(killed);
    const before = (await readdir(dir)).filter(isAtomicTempFile);
    expect(before).toHaveLength(2);

    const removed = await removeStaleTempFiles(dir);
    expect(removed).toHaveLength(1);
    expect(removed[0]).toContain(`clip.bin.${await hostTag()}-${killed.pid}.`);
    const after = await readdir(dir);
    expect(after).toHaveLength(1);
    expect(after[0]).toContain(`other.bin.${await hostTag()}-${live.pid}.`);
    live.kill('SIGKILL');
    await exited(live);
  }, 60_000);

  it("leaves another machine's fresh temporary file and removes an old one", async () => {
    const fresh = join(dir, 'a.json.00000000-1.0123456789ab.tmp');
    await writeFile(fresh, 'x');
    expect(await removeStaleTempFiles(dir)).toEqual([]);
    expect(await removeStaleTempFiles(dir, { otherHostAfterMs: -1 })).toEqual([fresh]);
  });
});
