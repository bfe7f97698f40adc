import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** True when `path` is `root` or lies inside it (both absolute and resolved). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * The real path of `root/...parts` when it exists and, after following every symlink, still
 * lies inside the real `root`; otherwise undefined. Parts are single names or fixed file
 * names: one holding a separator, a NUL, or being `.`/`..` is refused before any disk access.
 */
export async function resolveInside(root: string, ...parts: string[]): Promise<string | undefined> {
  for (const part of parts) {
    if (part === '' || part === '.' || part === '..' || /[\\/\0]/.test(part)) return undefined;
  }
  try {
    const realRoot = await realpath(root);
    const real = await realpath(resolve(root, ...parts));
    return isInside(realRoot, real) ? real : undefined;
  } catch {
    return undefined;
  }
}
