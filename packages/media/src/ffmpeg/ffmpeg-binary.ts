import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';

/** Where the ffmpeg binary came from. */
export type FfmpegSource = 'FFMPEG_PATH' | 'npm' | 'system';

export interface FfmpegBinaries {
  /** Absolute path (or PATH-resolved path) of the ffmpeg executable. */
  ffmpeg: string;
  /** The matching ffprobe, when one was found. */
  ffprobe: string | undefined;
  source: FfmpegSource;
}

const requireFromHere = createRequire(import.meta.url);
const exe = (name: string) => (process.platform === 'win32' ? `${name}.exe` : name);

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, exe(name)))) return join(dir, exe(name));
  }
  return undefined;
}

/** The binary an installer package ships, or undefined when it is not installed for this platform. */
function fromInstallerPackage(pkg: string): string | undefined {
  try {
    const path = (requireFromHere(pkg) as { path?: unknown }).path;
    return typeof path === 'string' && isExecutable(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

function fromEnv(variable: 'FFMPEG_PATH' | 'FFPROBE_PATH'): string | undefined {
  const value = process.env[variable];
  if (!value) return undefined;
  if (!isExecutable(value)) {
    throw new Error(`findFfmpeg: ${variable}=${value} is not an executable file; fix or unset ${variable}`);
  }
  return value;
}

/**
 * Locates ffmpeg and ffprobe. ffmpeg: `FFMPEG_PATH`, else the binary of
 * `@ffmpeg-installer/ffmpeg` (the default, so a fresh machine needs no system ffmpeg),
 * else `ffmpeg` on PATH. ffprobe: `FFPROBE_PATH`, else one next to a user-chosen ffmpeg,
 * else `@ffprobe-installer/ffprobe`, else `ffprobe` on PATH.
 */
export function findFfmpeg(): FfmpegBinaries {
  let ffmpeg = fromEnv('FFMPEG_PATH');
  let source: FfmpegSource = 'FFMPEG_PATH';
  if (ffmpeg === undefined) {
    ffmpeg = fromInstallerPackage('@ffmpeg-installer/ffmpeg');
    source = 'npm';
  }
  if (ffmpeg === undefined) {
    ffmpeg = onPath('ffmpeg');
    source = 'system';
  }
  if (ffmpeg === undefined) {
    throw new Error(
      'findFfmpeg: no ffmpeg found: FFMPEG_PATH is unset, @ffmpeg-installer/ffmpeg has no binary for ' +
        `${process.platform}-${process.arch}, and there is no ffmpeg on PATH`,
    );
  }
  const sibling = join(dirname(ffmpeg), exe('ffprobe'));
  const ffprobe =
    fromEnv('FFPROBE_PATH') ??
    (source !== 'npm' && isExecutable(sibling) ? sibling : undefined) ??
    fromInstallerPackage('@ffprobe-installer/ffprobe') ??
    onPath('ffprobe');
  return { ffmpeg, ffprobe, source };
}
