/** What `writeFileAtomic` writes: the whole content, or chunks as a producer makes them. */
export type AtomicContent = string | Uint8Array | Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;

/** Temporary files end in this, after the target's name and a unique part: `<name>.<pid>.<random>.tmp`. */
export const TEMP_SUFFIX = '.tmp';

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
  const temporary = `${target}.${process.pid}.${crypto.randomBytes(6).toString('hex')}${TEMP_SUFFIX}`;
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
  return /\.\d+\.[0-9a-f]{12}\.tmp$/.test(name);
}
