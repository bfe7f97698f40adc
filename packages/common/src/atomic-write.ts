/** What `writeFileAtomic` writes: the whole content, or chunks as a producer makes them. */
export type AtomicContent = string | Uint8Array | Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;

/** Temporary files end in this, after the target's name and a unique part: `<name>.<host>-<pid>.<random>.tmp`. */
export const TEMP_SUFFIX = '.tmp';

const TEMP_NAME = /\.([0-9a-f]{8})-(\d+)\.[0-9a-f]{12}\.tmp$/;

// node:fs loads on first use, so a browser bundle that imports this package for its generator works.
const nodeModules = async () => ({
  fs: await import('node:fs/promises'),
  path: await import('node:path'),
  crypto: await import('node:crypto'),
});

function chunksOf(content: AtomicContent): Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array> {
  return typeof content === 'string' || content instanceof Uint8Array ? [content] : content;
}

/**
 * Writes `path` so that a reader, or the file system after a crash, sees either the old
 * content or the new one, never a mix or a stub: the data goes to a temporary file in the
 * same folder, which is flushed to disk (fsync), renamed over `path`, and the folder's
 * entry is flushed too where the platform allows. On any failure (the producer throws, the
 * disk is full, the folder is read-only) the temporary file is removed, the old content
 * stays, and the error names the file.
 */
export async function writeFileAtomic(path: string, content: AtomicContent): Promise<void> {
  const { fs, path: paths, crypto } = await nodeModules();
  const target = paths.resolve(path);
  const temporary = `${target}.${await hostTag()}-${process.pid}.${crypto.randomBytes(6).toString('hex')}${TEMP_SUFFIX}`;
  let handle: Awaited<ReturnType<typeof fs.open>> | undefined;
  try {
    handle = await fs.open(temporary, 'wx');
    // writeFile, unlike write, loops until the whole chunk is written.
    for await (const chunk of chunksOf(content)) await handle.writeFile(chunk);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(temporary, target);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await fs.rm(temporary, { force: true }).catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw Object.assign(new Error(`writeFileAtomic: cannot write '${target}': ${reason}`), {
      cause: error,
      code: (error as NodeJS.ErrnoException).code,
    });
  }
  await syncFolder(paths.dirname(target));
}

/**
 * Flushes a folder's entries (a rename inside it) to disk. Some platforms and file systems
 * cannot open or fsync a folder (Windows, some network mounts); there the rename is as
 * durable as the platform makes it, which is all it can be.
 */
export async function syncFolder(dir: string): Promise<void> {
  const { fs } = await nodeModules();
  const handle = await fs.open(dir, 'r').catch(() => undefined);
  if (handle === undefined) return;
  try {
    await handle.sync();
  } catch {
    // EINVAL / EISDIR / EPERM: the platform does not sync folders.
  } finally {
    await handle.close();
  }
}

/** True for a name `writeFileAtomic` gives its temporary files. */
export function isAtomicTempFile(name: string): boolean {
  return TEMP_NAME.test(name);
}

/** This machine in temporary-file and lock names: a hash of the host name, so a folder shared between machines tells them apart. */
export async function hostTag(): Promise<string> {
  const { crypto } = await nodeModules();
  const { hostname } = await import('node:os');
  return crypto.createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
}

/** True when process `pid` runs on this machine. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface StaleTempOptions {
  /** A temporary file of another machine counts as abandoned after this long. Default 1 hour. */
  otherHostAfterMs?: number;
}

/**
 * Removes the temporary files that `writeFileAtomic` left in `dir` when its process was
 * killed: those of a process of this machine that no longer runs, and those of another
 * machine older than `otherHostAfterMs` (its process cannot be asked). Returns the paths
 * removed; a file that cannot be removed (a read-only folder) is left and not listed.
 */
export async function removeStaleTempFiles(dir: string, options: StaleTempOptions = {}): Promise<string[]> {
  const { fs, path: paths } = await nodeModules();
  const otherHostAfterMs = options.otherHostAfterMs ?? 3_600_000;
  const here = await hostTag();
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const match = TEMP_NAME.exec(name);
    if (match === null) continue;
    const file = paths.join(dir, name);
    const [, host, pid] = match;
    let stale = host === here && !processAlive(Number(pid));
    if (!stale && host !== here) {
      const info = await fs.stat(file).catch(() => undefined);
      stale = info !== undefined && Date.now() - info.mtimeMs > otherHostAfterMs;
    }
    if (
      stale &&
      (await fs.rm(file).then(
        () => true,
        () => false,
      ))
    )
      removed.push(file);
  }
  return removed;
}
