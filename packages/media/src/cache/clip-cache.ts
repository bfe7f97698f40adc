import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { removeStaleTempFiles, withFileLock, writeFileAtomic } from '@mtl/common';
import type { MediaClip, PreprocessedClip, PreprocessOptions } from '../preprocess/clip-options.js';

/** Bumped when the stored layout or the preprocessing code changes what a key stands for. */
const CACHE_FORMAT = 2;

/** How a source file is identified in the key: by path, size and mtime (fast), or by its content hash. */
export type SourceIdentity = 'stat' | 'hash';

/** How much of a stored clip is checked before it counts as cached: the `.bin`'s size, or its checksum too. */
export type CacheVerification = 'size' | 'checksum';

/** What the JSON of one cached clip records; the arrays live in the `.bin` next to it. */
export interface CachedClipMeta extends Omit<PreprocessedClip, 'audio' | 'video'> {
  format: number;
  key: string;
  /** Byte ranges of the arrays in the `.bin` file. */
  arrays: { audio?: { offset: number; bytes: number }; video?: { offset: number; bytes: number } };
  /** Size and SHA-256 of the whole `.bin`, checked on every read. */
  bin: { bytes: number; sha256: string };
  sources: { path: string; size: number; mtimeMs: number; sha256?: string }[];
  clip: MediaClip;
  options: PreprocessOptions;
  createdAt: string;
}

export interface CacheIndex {
  format: number;
  /** By key. */
  clips: Record<string, { id: string; frameCount: number; sourceSeconds: number; createdAt: string }>;
}

/** A stored clip that is not what its JSON says: missing, truncated, corrupt. Never returned as data. */
export class CacheEntryError extends Error {
  constructor(
    readonly key: string,
    readonly file: string,
    readonly problem: string,
  ) {
    super(`ClipCache: ${file}: ${problem}`);
    this.name = 'CacheEntryError';
  }
}

/** What `updateIndex` did: whether it wrote, and what it found wrong and repaired. */
export interface IndexUpdate {
  index: CacheIndex;
  /** False when the index already said all this (it is never rewritten for nothing). */
  written: boolean;
  /** Problems with the old index that this update repaired: unreadable, missing or stale entries. */
  repaired: string[];
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** mkdir that reports the real reason: a recursive mkdir on a read-only mount says ENOENT. */
async function makeFolder(path: string): Promise<void> {
  await mkdir(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST') return;
    if (error.code === 'ENOENT') return mkdir(path, { recursive: true });
    throw error;
  });
}

const summaryOf = (meta: CachedClipMeta): CacheIndex['clips'][string] => ({
  id: meta.id,
  frameCount: meta.frameCount,
  sourceSeconds: meta.sourceSeconds,
  createdAt: meta.createdAt,
});

/**
 * Preprocessed clips on disk, stored once: each under a key that hashes its sources
 * (path + size + mtime, or content) and every preprocessing parameter, as `<key>.bin`
 * (float32 audio, then uint8 video) and `<key>.json` (the clip's record, with the `.bin`'s
 * size and SHA-256). The records are the truth; `index.json` is derived from them, and
 * repaired from them whenever it disagrees. Every file is written atomically and durably,
 * the JSON after the arrays, so a clip with a JSON is complete unless the disk changed it
 * since, which reads check.
 */
export class ClipCache {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** `bin`: the arrays; `json`: the record; `bad`: why a read found the arrays bad (until the clip is made again). */
  private file(key: string, ext: 'bin' | 'json' | 'bad') {
    return join(this.dir, 'clips', key.slice(0, 2), `${key}.${ext}`);
  }

  private get indexFile() {
    return join(this.dir, 'index.json');
  }

  /** Identities of the clip's distinct source files. */
  async sourcesOf(clip: MediaClip, identity: SourceIdentity = 'stat'): Promise<CachedClipMeta['sources']> {
    const paths = [...new Set([clip.audioPath, clip.videoPath].filter((p): p is string => p !== undefined))];
    return Promise.all(
      paths.map(async (path) => {
        const info = await stat(path).catch(() => {
          throw new Error(`clip ${clip.id}: ${path}: no such file`);
        });
        if (!info.isFile()) throw new Error(`clip ${clip.id}: ${path}: is a directory, not a media file`);
        const base = { path: resolve(path), size: info.size, mtimeMs: info.mtimeMs };
        return identity === 'hash' ? { ...base, sha256: await sha256File(path) } : base;
      }),
    );
  }

  /**
   * The cache key of a clip under resolved options, from its sources as `sourcesOf` gives
   * them: by content hash where they carry one, else by path, size and mtime.
   */
  keyFor(clip: MediaClip, options: PreprocessOptions, sources: CachedClipMeta['sources']): string {
    const identities = sources.map((s) =>
      s.sha256 ? { sha256: s.sha256 } : { path: s.path, size: s.size, mtimeMs: s.mtimeMs },
    );
    const { id: _id, audioPath: _a, videoPath: _v, ...cut } = clip;
    const identityOf = { format: CACHE_FORMAT, sources: identities, cut, options };
    return createHash('sha256').update(JSON.stringify(identityOf)).digest('hex').slice(0, 32);
  }

  /** True when the clip is stored whole (its record reads and its `.bin` has the recorded size). */
  async has(key: string): Promise<boolean> {
    return (await this.verify(key, 'size')).status === 'ok';
  }

  /**
   * Checks a stored clip: `missing` (never stored), `ok`, or `bad` with the file and the
   * problem (unreadable record, `.bin` missing, truncated, or, with `checksum`, changed).
   */
  async verify(
    key: string,
    level: CacheVerification = 'size',
  ): Promise<
    { status: 'ok'; meta: CachedClipMeta } | { status: 'missing' } | { status: 'bad'; error: CacheEntryError }
  > {
    const json = this.file(key, 'json');
    const text = await readFile(json, 'utf8').catch((error: NodeJS.ErrnoException) =>
      error.code === 'ENOENT' ? undefined : `cannot read the record (${error.code ?? error.message})`,
    );
    if (text === undefined) return { status: 'missing' };
    try {
      const meta = this.parseMeta(key, json, text);
      const bin = this.file(key, 'bin');
      const foundBad = await readFile(this.file(key, 'bad'), 'utf8').catch(() => undefined);
      if (foundBad !== undefined) throw new CacheEntryError(key, bin, foundBad);
      const info = await stat(bin).catch(() => undefined);
      if (info === undefined) throw new CacheEntryError(key, bin, 'missing: its record exists but the arrays do not');
      if (info.size !== meta.bin.bytes) {
        throw new CacheEntryError(
          key,
          bin,
          `truncated or overwritten: holds ${info.size} bytes, its record says ${meta.bin.bytes}`,
        );
      }
      if (level === 'checksum' && (await sha256File(bin)) !== meta.bin.sha256) {
        throw new CacheEntryError(key, bin, 'checksum mismatch: the arrays changed on disk since they were written');
      }
      return { status: 'ok', meta };
    } catch (error) {
      if (error instanceof CacheEntryError) return { status: 'bad', error };
      throw error;
    }
  }

  private parseMeta(key: string, json: string, text: string): CachedClipMeta {
    let meta: CachedClipMeta;
    try {
      meta = JSON.parse(text) as CachedClipMeta;
    } catch (error) {
      throw new CacheEntryError(key, json, `record is not valid JSON (${(error as Error).message})`);
    }
    if (meta?.format !== CACHE_FORMAT || meta.key !== key || typeof meta.bin?.sha256 !== 'string') {
      throw new CacheEntryError(key, json, `record is not a format-${CACHE_FORMAT} record of clip ${key}`);
    }
    return meta;
  }

  async write(
    key: string,
    clip: PreprocessedClip,
    provenance: Pick<CachedClipMeta, 'sources' | 'clip' | 'options'>,
  ): Promise<CachedClipMeta> {
    const { audio, video, ...rest } = clip;
    const audioBytes = audio ? audio.byteLength : 0;
    const data = new Uint8Array(audioBytes + (video?.byteLength ?? 0));
    if (audio) data.set(new Uint8Array(audio.buffer, audio.byteOffset, audio.byteLength), 0);
    if (video) data.set(video, audioBytes);
    const meta: CachedClipMeta = {
      ...rest,
      format: CACHE_FORMAT,
      key,
      arrays: {
        ...(audio && { audio: { offset: 0, bytes: audioBytes } }),
        ...(video && { video: { offset: audioBytes, bytes: video.byteLength } }),
      },
      bin: { bytes: data.byteLength, sha256: sha256(data) },
      ...provenance,
      createdAt: new Date().toISOString(),
    };
    await makeFolder(join(this.dir, 'clips', key.slice(0, 2)));
    await writeFileAtomic(this.file(key, 'bin'), data);
    await writeFileAtomic(this.file(key, 'json'), `${JSON.stringify(meta, null, 1)}\n`);
    await rm(this.file(key, 'bad'), { force: true });
    return meta;
  }

  async readMeta(key: string): Promise<CachedClipMeta> {
    const json = this.file(key, 'json');
    const text = await readFile(json, 'utf8').catch(() => {
      throw new Error(`ClipCache: no clip ${key} in ${this.dir}`);
    });
    return this.parseMeta(key, json, text);
  }

  /**
   * A cached clip with its arrays, after checking the `.bin`'s size and checksum against
   * its record. A clip that fails the check is marked bad (so the next `preprocess` makes it
   * again, and every read until then fails alike) and a CacheEntryError names the file and
   * the problem: bad data is never returned.
   */
  async read(key: string): Promise<PreprocessedClip & { meta: CachedClipMeta }> {
    const meta = await this.readMeta(key);
    const binFile = this.file(key, 'bin');
    const bytes = await readFile(binFile).catch(() => undefined);
    const problem =
      bytes === undefined
        ? 'missing: its record exists but the arrays do not'
        : bytes.length !== meta.bin.bytes
          ? `truncated or overwritten: holds ${bytes.length} bytes, its record says ${meta.bin.bytes}`
          : sha256(bytes) !== meta.bin.sha256
            ? 'checksum mismatch: the arrays changed on disk since they were written'
            : undefined;
    if (problem !== undefined || bytes === undefined) {
      // A read-only cache cannot take the mark; the error is thrown all the same.
      await writeFileAtomic(this.file(key, 'bad'), problem ?? '').catch(() => undefined);
      throw new CacheEntryError(key, binFile, `${problem}; the next preprocess makes it again`);
    }
    const { audio, video } = meta.arrays;
    const {
      format: _f,
      key: _k,
      arrays: _a,
      bin: _b,
      sources: _s,
      clip: _c,
      options: _o,
      createdAt: _t,
      ...clip
    } = meta;
    return {
      ...clip,
      // Copies, so the arrays are aligned and own their memory.
      ...(audio && {
        audio: new Float32Array(
          bytes.buffer.slice(bytes.byteOffset + audio.offset, bytes.byteOffset + audio.offset + audio.bytes),
        ),
      }),
      ...(video && { video: new Uint8Array(bytes.subarray(video.offset, video.offset + video.bytes)) }),
      meta,
    };
  }

  /** Removes a stored clip, record first, so a half-removed clip is never taken for a whole one. */
  async remove(key: string): Promise<void> {
    await rm(this.file(key, 'json'), { force: true });
    await rm(this.file(key, 'bin'), { force: true });
    await rm(this.file(key, 'bad'), { force: true });
  }

  /** The keys of every clip with a record on disk. */
  async storedKeys(): Promise<string[]> {
    const shards = await readdir(join(this.dir, 'clips')).catch(() => [] as string[]);
    const keys: string[] = [];
    for (const shard of shards) {
      const names = await readdir(join(this.dir, 'clips', shard)).catch(() => [] as string[]);
      for (const name of names) if (name.endsWith('.json')) keys.push(name.slice(0, -5));
    }
    return keys.sort();
  }

  /** Removes the temporary files of writers that were killed (see `removeStaleTempFiles`); returns their paths. */
  async removeStaleTempFiles(): Promise<string[]> {
    const shards = await readdir(join(this.dir, 'clips')).catch(() => [] as string[]);
    const removed = await removeStaleTempFiles(this.dir);
    for (const shard of shards) removed.push(...(await removeStaleTempFiles(join(this.dir, 'clips', shard))));
    return removed;
  }

  /** `index.json` as stored; an empty index when there is none; throws naming the file when it is unreadable. */
  async readIndex(): Promise<CacheIndex> {
    const text = await readFile(this.indexFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw new Error(`ClipCache: ${this.indexFile}: cannot read (${error.code ?? error.message})`);
    });
    if (text === undefined) return { format: CACHE_FORMAT, clips: {} };
    let index: CacheIndex;
    try {
      index = JSON.parse(text) as CacheIndex;
    } catch (error) {
      throw new Error(`ClipCache: ${this.indexFile}: not valid JSON (${(error as Error).message})`);
    }
    if (index?.format !== CACHE_FORMAT || typeof index.clips !== 'object' || index.clips === null) {
      throw new Error(`ClipCache: ${this.indexFile}: not a format-${CACHE_FORMAT} cache index`);
    }
    return index;
  }

  /**
   * Brings `index.json` in line with the clip records on disk, under a lock (so concurrent
   * processes never lose each other's entries): adds every stored clip it lacks (those of
   * an interrupted run, of another process), drops entries whose clip is gone, replaces an
   * unreadable index, and writes only when something changed. `known` saves re-reading the
   * records of clips just written.
   */
  async updateIndex(known: CachedClipMeta[] = []): Promise<IndexUpdate> {
    await makeFolder(this.dir);
    return withFileLock(join(this.dir, 'index.lock'), async () => {
      const repaired: string[] = [];
      let old: CacheIndex | undefined;
      try {
        old = await this.readIndex();
      } catch (error) {
        repaired.push(`${(error as Error).message}; rebuilt from the clip records`);
      }
      const byKey = new Map(known.map((meta) => [meta.key, meta]));
      const index: CacheIndex = { format: CACHE_FORMAT, clips: {} };
      let added = 0;
      for (const key of await this.storedKeys()) {
        const listed = old?.clips[key];
        if (listed !== undefined && !byKey.has(key)) {
          index.clips[key] = listed;
          continue;
        }
        const meta = byKey.get(key) ?? (await this.readMeta(key).catch(() => undefined));
        if (meta === undefined) continue; // an unreadable record: preprocess reports and rebuilds it
        index.clips[key] = summaryOf(meta);
        if (listed === undefined && !byKey.has(key)) added++;
      }
      const dropped = Object.keys(old?.clips ?? {}).filter((key) => index.clips[key] === undefined).length;
      if (old !== undefined && added > 0) repaired.push(`index.json lacked ${added} stored clip(s); added`);
      if (dropped > 0) repaired.push(`index.json listed ${dropped} clip(s) no longer stored; dropped`);
      const text = `${JSON.stringify(index, null, 1)}\n`;
      const unchanged = old !== undefined && JSON.stringify(old) === JSON.stringify(index);
      if (!unchanged) await writeFileAtomic(this.indexFile, text);
      return { index, written: !unchanged, repaired };
    });
  }

  /** Adds clips to `index.json` (and repairs it from the records on disk). */
  async addToIndex(metas: CachedClipMeta[]): Promise<CacheIndex> {
    return (await this.updateIndex(metas)).index;
  }

  /** Rebuilds `index.json` from the clips' own records (after a crash, or by hand). */
  async rebuildIndex(): Promise<CacheIndex> {
    await rm(this.indexFile, { force: true });
    return (await this.updateIndex()).index;
  }
}
