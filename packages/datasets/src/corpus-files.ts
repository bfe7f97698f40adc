import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Whether a path is a folder (false when it is missing). */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Visible entries of a folder, sorted; empty when the folder is missing. Skips dot files such as macOS '._' forks. */
export async function listFolder(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).filter((name) => !name.startsWith('.')).sort();
  } catch {
    return [];
  }
}

/** Every visible file under `root` (relative paths, sorted), down to `maxDepth` folders. */
export async function listFilesDeep(root: string, maxDepth = 4): Promise<string[]> {
  const found: string[] = [];
  const walk = async (relativeDir: string, depth: number) => {
    const entries = await readdir(join(root, relativeDir), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = relativeDir ? join(relativeDir, entry.name) : entry.name;
      if (entry.isDirectory()) {
        if (depth < maxDepth) await walk(path, depth + 1);
      } else if (entry.isFile()) {
        found.push(path);
      }
    }
  };
  await walk('', 0);
  return found.sort();
}

/** Text from bytes, by their byte-order mark or their look: UTF-8 (BOM dropped), UTF-16 LE/BE (with or without BOM), else Latin-1. */
export function decodeText(bytes: Uint8Array): { text: string; encoding: string } {
  const [b0, b1, b2, b3] = bytes;
  if (b0 === 0xef && b1 === 0xbb && b2 === 0xbf)
    return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), encoding: 'UTF-8 with BOM' };
  const utf16le = (body: Uint8Array) => new TextDecoder('utf-16le').decode(body);
  if (b0 === 0xff && b1 === 0xfe) return { text: utf16le(bytes.subarray(2)), encoding: 'UTF-16 LE' };
  if (b0 === 0xfe && b1 === 0xff) {
    const swapped = new Uint8Array(bytes.length - 2);
    for (let i = 0; i + 1 < swapped.length; i += 2) {
      swapped[i] = bytes[i + 3] as number;
      swapped[i + 1] = bytes[i + 2] as number;
    }
    return { text: utf16le(swapped), encoding: 'UTF-16 BE' };
  }
  // ASCII text saved as UTF-16 without a BOM: every second byte is zero.
  if (bytes.length >= 4 && b1 === 0 && b3 === 0 && b0 !== 0 && b2 !== 0)
    return { text: utf16le(bytes), encoding: 'UTF-16 LE' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'UTF-8' };
  } catch {
    return { text: new TextDecoder('latin1').decode(bytes), encoding: 'Latin-1' };
  }
}

/** A text file's lines (any line ending, any of the encodings `decodeText` knows), or why it cannot be read. */
export async function readLines(path: string): Promise<{ lines: string[] } | { error: string }> {
  try {
    return { lines: decodeText(await readFile(path)).text.split(/\r?\n/) };
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    return {
      error:
        code === 'EISDIR'
          ? 'is a folder, not a file'
          : code === 'ENOENT'
            ? 'is missing'
            : `cannot be read (${code ?? message})`,
    };
  }
}
