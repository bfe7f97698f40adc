import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { looksLikeWav } from '@mtl/media';
import type { SkipKind } from './manifest.js';

export interface MediaProblem {
  kind: SkipKind;
  reason: string;
}

const LFS_POINTER = 'version https://git-lfs.github.com/spec/';
const HEADER_BYTES = 64;

/** The container signature each media extension must carry in its first bytes. */
const SIGNATURES: Record<string, { name: string; matches: (head: Buffer) => boolean }> = {
  '.wav': { name: 'WAV (RIFF/WAVE)', matches: (h) => looksLikeWav(h) },
  '.avi': {
    name: 'AVI (RIFF/AVI)',
    matches: (h) => h.toString('latin1', 0, 4) === 'RIFF' && h.toString('latin1', 8, 11) === 'AVI',
  },
  '.mp4': { name: 'MP4 (ftyp box)', matches: (h) => h.toString('latin1', 4, 8) === 'ftyp' },
  '.flv': { name: 'FLV', matches: (h) => h.toString('latin1', 0, 3) === 'FLV' },
};

/**
 * Checks that a media file is present and really is media, reading only its first bytes:
 * missing, empty, a Git LFS pointer left by a clone without `git lfs pull`, or a file whose
 * header does not match its extension. Returns undefined for a usable file.
 */
export async function checkMediaFile(path: string): Promise<MediaProblem | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      kind: 'missing-media',
      reason: code === 'ENOENT' ? 'media file is missing' : `cannot open media file (${code})`,
    };
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return { kind: 'empty-media', reason: 'media file is empty (0 bytes)' };
    const head = Buffer.alloc(Math.min(HEADER_BYTES, size));
    await handle.read(head, 0, head.length, 0);
    if (head.toString('latin1').startsWith(LFS_POINTER)) {
      return {
        kind: 'lfs-pointer',
        reason: `Git LFS pointer stub (${size} bytes) instead of media: run 'git lfs pull' in the corpus clone`,
      };
    }
    const signature = SIGNATURES[extname(path).toLowerCase()];
    if (signature && !signature.matches(head)) {
      return {
        kind: 'not-media',
        reason: `not a ${signature.name} file: its first bytes are ${JSON.stringify(head.toString('latin1', 0, 12))}`,
      };
    }
    return undefined;
  } finally {
    await handle.close();
  }
}

/** checkMediaFile with one look per path, for corpora whose clips share a recording. */
export function cachedMediaCheck(): (path: string) => Promise<MediaProblem | undefined> {
  const seen = new Map<string, Promise<MediaProblem | undefined>>();
  return (path) => {
    let result = seen.get(path);
    if (!result) {
      result = checkMediaFile(path);
      seen.set(path, result);
    }
    return result;
  };
}
