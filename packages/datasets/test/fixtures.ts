import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runFfmpeg } from '@mtl/media';
import { encodeWav } from '../src/index.js';

/** A fresh temporary folder; remove it with `removeTemporaryFolder`. */
export const temporaryFolder = (prefix: string) => mkdtemp(join(tmpdir(), `mtl-datasets-${prefix}-`));
export const removeTemporaryFolder = (path: string) => rm(path, { recursive: true, force: true });

/** Real WAV bytes: a short tone. */
export function toneWav(seconds = 0.1, sampleRate = 16000, channels = 1): Uint8Array {
  const samples = Float32Array.from(
    { length: Math.round(seconds * sampleRate) },
    (_, i) => 0.3 * Math.sin((2 * Math.PI * 220 * i) / sampleRate),
  );
  return encodeWav(
    Array.from({ length: channels }, () => samples),
    sampleRate,
  );
}

export const LFS_POINTER =
  'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 123456\n';

export async function writeBytes(path: string, bytes: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
}

/**
 * Tiny real videos encoded once per container (0.2 s, 32x32, with a stereo audio track),
 * then copied wherever a fixture needs one.
 */
export class VideoFixtures {
  private readonly made = new Map<string, Promise<string>>();
  constructor(private readonly folder: string) {}

  private encode(extension: 'mp4' | 'avi' | 'flv'): Promise<string> {
    let made = this.made.get(extension);
    if (!made) {
      const out = join(this.folder, `source.${extension}`);
      const codecs =
        extension === 'flv'
          ? ['-c:v', 'flv1', '-c:a', 'adpcm_swf', '-ar', '22050']
          : ['-c:v', 'mpeg4', '-c:a', extension === 'mp4' ? 'aac' : 'pcm_s16le'];
      made = runFfmpeg([
        ...['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=32x32:rate=10:duration=0.2'],
        ...[
          '-f',
          'lavfi',
          '-i',
          'sine=frequency=300:sample_rate=16000:duration=0.2',
          '-ac',
          '2',
          ...codecs,
          '-shortest',
          out,
        ],
      ]).then(() => out);
      this.made.set(extension, made);
    }
    return made;
  }

  async write(path: string): Promise<void> {
    const extension = path.slice(path.lastIndexOf('.') + 1) as 'mp4' | 'avi' | 'flv';
    const source = await this.encode(extension);
    await mkdir(dirname(path), { recursive: true });
    await copyFile(source, path);
  }
}

/** Captures what a loader prints. */
export function logCollector(): { log: (text: string) => void; text: () => string } {
  const lines: string[] = [];
  return { log: (text) => lines.push(text), text: () => lines.join('\n') };
}
