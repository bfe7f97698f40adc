import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '@mtl/common';
import type { MediaClip, PreprocessedClip, PreprocessOptions } from './preprocess-clip.js';

/** Bumped when the stored layout or the preprocessing code changes what a key stands for. */
const CACHE_FORMAT = 1;

/** How a source file is identified in the key: by path, size and mtime (fast), or by its content hash. */
export type SourceIdentity = 'stat' | 'hash';

/** What the JSON of one cached clip records; the arrays live in the `.bin` next to it. */
export interface CachedClipMeta extends Omit<PreprocessedClip, 'audio' | 'video'> {
  format: number;
  key: string;
  /** Byte ranges of the arrays in the `.bin` file. */
  arrays: { audio?: { offset: number; bytes: number }; video?: { offset: number; bytes: number } };
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

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Preprocessed clips on disk, stored once: each under a key that hashes its sources
 * (path + size + mtime, or content) and every preprocessing parameter, as `<key>.bin`
 * (float32 audio, then uint8 video) and `<key>.json`, plus an `index.json` over all of them.
 * The JSON is written after the arrays, so a clip with a JSON is complete.
 */
export class ClipCache {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  private file(key: string, ext: 'bin' | 'json') {
    return join(this.dir, 'clips', key.slice(0, 2), `${key}.${ext}`);
  }

  /** Identities of the clip's distinct source files. */
  async sourcesOf(clip: MediaClip, identity: SourceIdentity = 'stat'): Promise<CachedClipMeta['sources']> {
    const paths = [...new Set([clip.audioPath, clip.videoPath].filter((p): p is string => p !== undefined))];
    return Promise.all(
      paths.map(async (path) => {
        const info = await stat(path).catch(() => {
          throw new Error(`clip ${clip.id}: ${path}: no such file`);
        });
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

  async has(key: string): Promise<boolean> {
    return stat(this.file(key, 'json')).then(
      () => true,
      () => false,
    );
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
      ...provenance,
      createdAt: new Date().toISOString(),
    };
    await mkdir(join(this.dir, 'clips', key.slice(0, 2)), { recursive: true });
    await writeFileAtomic(this.file(key, 'bin'), data);
    await writeFileAtomic(this.file(key, 'json'), `${JSON.stringify(meta, null, 1)}\n`);
    return meta;
  }

  async readMeta(key: string): Promise<CachedClipMeta> {
    const text = await readFile(this.file(key, 'json'), 'utf8').catch(() => {
      throw new Error(`ClipCache: no clip ${key} in ${this.dir}`);
    });
    return JSON.parse(text) as CachedClipMeta;
  }

  /** A cached clip with its arrays. */
  async read(key: string): Promise<PreprocessedClip & { meta: CachedClipMeta }> {
    const meta = await this.readMeta(key);
    const bytes = await readFile(this.file(key, 'bin'));
    const expected = (meta.arrays.audio?.bytes ?? 0) + (meta.arrays.video?.bytes ?? 0);
    if (bytes.length !== expected) {
      throw new Error(`ClipCache: ${this.file(key, 'bin')} holds ${bytes.length} bytes; its JSON says ${expected}`);
    }
    const { audio, video } = meta.arrays;
    const { format: _f, key: _k, arrays: _a, sources: _s, clip: _c, options: _o, createdAt: _t, ...clip } = meta;
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

  async readIndex(): Promise<CacheIndex> {
    try {
      return JSON.parse(await readFile(join(this.dir, 'index.json'), 'utf8')) as CacheIndex;
    } catch {
      return { format: CACHE_FORMAT, clips: {} };
    }
  }

  /** Adds clips to `index.json` (read, merge, atomic write). */
  async addToIndex(metas: CachedClipMeta[]): Promise<CacheIndex> {
    const index = await this.readIndex();
    for (const m of metas) {
      index.clips[m.key] = {
        id: m.id,
        frameCount: m.frameCount,
        sourceSeconds: m.sourceSeconds,
        createdAt: m.createdAt,
      };
    }
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(join(this.dir, 'index.json'), `${JSON.stringify(index, null, 1)}\n`);
    return index;
  }

  /** Rebuilds `index.json` from the clips' own JSON files (after a crash, or by hand). */
  async rebuildIndex(): Promise<CacheIndex> {
    const metas: CachedClipMeta[] = [];
    const shards = await readdir(join(this.dir, 'clips')).catch(() => [] as string[]);
    for (const shard of shards) {
      for (const name of await readdir(join(this.dir, 'clips', shard))) {
        if (name.endsWith('.json')) metas.push(await this.readMeta(name.slice(0, -5)));
      }
    }
    await rm(join(this.dir, 'index.json'), { force: true });
    return this.addToIndex(metas);
  }
}
