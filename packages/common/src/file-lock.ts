import { hostTag, processAlive } from './atomic-write.js';

export interface FileLockOptions {
  /** Give up after waiting this long for another holder. Default 30 s. */
  timeoutMs?: number;
  /** A lock this old is abandoned whoever holds it (a holder on another machine that died). Default 60 s. */
  staleMs?: number;
}

interface LockRecord {
  host: string;
  pid: number;
  at: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `task` while holding `lockPath`, a file created exclusively (`wx`), so writers in
 * other processes and on other machines sharing the folder take turns. A lock left by a
 * process of this machine that no longer runs, or older than `staleMs`, is taken over.
 * Hold it briefly: it is meant for read-modify-write of a small file, such as an index.
 */
export async function withFileLock<T>(
  lockPath: string,
  task: () => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const fs = await import('node:fs/promises');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const staleMs = options.staleMs ?? 60_000;
  const mine: LockRecord = { host: await hostTag(), pid: process.pid, at: Date.now() };
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.writeFile(lockPath, JSON.stringify({ ...mine, at: Date.now() }), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new Error(`withFileLock: cannot create '${lockPath}': ${(error as Error).message}`, { cause: error });
      }
    }
    const text = await fs.readFile(lockPath, 'utf8').catch(() => '');
    const holder = parseRecord(text);
    const abandoned =
      holder === undefined
        ? // Half-written by a holder killed between create and write, or just created: judge by age.
          Date.now() - ((await fs.stat(lockPath).catch(() => undefined))?.mtimeMs ?? Date.now()) > staleMs
        : (holder.host === mine.host && !processAlive(holder.pid)) || Date.now() - holder.at > staleMs;
    if (abandoned) {
      await takeOver(fs, lockPath, text);
      continue;
    }
    if (Date.now() > deadline) {
      const who = holder
        ? `process ${holder.pid} on host ${holder.host} since ${new Date(holder.at).toISOString()}`
        : 'another process';
      throw new Error(`withFileLock: '${lockPath}' is held by ${who}; waited ${timeoutMs} ms`);
    }
    await sleep(Math.min(200, 5 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random()));
  }
  try {
    return await task();
  } finally {
    await fs.rm(lockPath, { force: true });
  }
}

function parseRecord(text: string): LockRecord | undefined {
  try {
    const record = JSON.parse(text) as LockRecord;
    return typeof record.pid === 'number' && typeof record.at === 'number' && typeof record.host === 'string'
      ? record
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes an abandoned lock. It is first renamed aside, so that of two processes taking it
 * over at once only one removes it; should the renamed file be a fresh lock (the other
 * process took over and locked in between), it is put back.
 */
async function takeOver(fs: typeof import('node:fs/promises'), lockPath: string, abandonedText: string) {
  const aside = `${lockPath}.${process.pid}.${Date.now()}.stale`;
  if (
    !(await fs.rename(lockPath, aside).then(
      () => true,
      () => false,
    ))
  )
    return;
  const moved = await fs.readFile(aside, 'utf8').catch(() => abandonedText);
  if (moved !== abandonedText) await fs.link(aside, lockPath).catch(() => undefined);
  await fs.rm(aside, { force: true });
}
