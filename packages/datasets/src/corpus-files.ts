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

/** A text file's lines (any line ending); undefined when it cannot be read. */
export async function readLines(path: string): Promise<string[] | undefined> {
  try {
    return (await readFile(path, 'latin1')).split(/\r?\n/);
  } catch {
    return undefined;
  }
}
