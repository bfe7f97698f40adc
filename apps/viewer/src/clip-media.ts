import { open, readFile } from 'node:fs/promises';
import jpeg from 'jpeg-js';
import { resolveInside } from './safe-path.js';

/**
 * Reads clips straight from a clip cache of @mtl/media (clips/<key[0:2]>/<key>.json next to
 * <key>.bin: float32 audio, then uint8 video frames) without loading that package, which
 * brings tfjs. Only the fields the viewer uses are read; the layout is the cache's format 1.
 */
export interface CachedClip {
  key: string;
  id: string;
  frameCount: number;
  fps: number;
  sampleRate?: number;
  size?: number;
  channels?: 1 | 3;
  arrays: { audio?: { offset: number; bytes: number }; video?: { offset: number; bytes: number } };
  /** Real path of the `.bin`. */
  binPath: string;
}

export class ClipMediaError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const KEY = /^[0-9a-f]{8,64}$/;

/** The clip `key` of the cache at `cacheDir`, checked: both files inside the cache, sizes agreeing. */
export async function openCachedClip(cacheDir: string, key: string): Promise<CachedClip> {
  if (!KEY.test(key)) throw new ClipMediaError(400, `not a clip cache key: ${JSON.stringify(key)}`);
  const jsonPath = await resolveInside(cacheDir, 'clips', key.slice(0, 2), `${key}.json`);
  const binPath = await resolveInside(cacheDir, 'clips', key.slice(0, 2), `${key}.bin`);
  if (!jsonPath || !binPath) throw new ClipMediaError(404, `clip ${key} is not in the clip cache ${cacheDir}`);
  let meta: CachedClip;
  try {
    meta = JSON.parse(await readFile(jsonPath, 'utf8')) as CachedClip;
  } catch {
    throw new ClipMediaError(500, `${jsonPath}: not valid JSON`);
  }
  const handle = await open(binPath, 'r');
  const { size } = await handle.stat().finally(() => handle.close());
  const expected = (meta.arrays?.audio?.bytes ?? 0) + (meta.arrays?.video?.bytes ?? 0);
  if (size !== expected) {
    throw new ClipMediaError(500, `${binPath} holds ${size} bytes; its JSON says ${expected}`);
  }
  return { ...meta, key, binPath };
}

async function readRange(path: string, range: { offset: number; bytes: number }): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(range.bytes);
    await handle.read(buffer, 0, range.bytes, range.offset);
    return buffer;
  } finally {
    await handle.close();
  }
}

/** The clip's audio as a 16-bit PCM mono WAV. */
export async function clipAudioWav(clip: CachedClip): Promise<Buffer> {
  const range = clip.arrays.audio;
  if (!range || !clip.sampleRate) throw new ClipMediaError(404, `clip ${clip.id} has no audio in the cache`);
  const bytes = await readRange(clip.binPath, range);
  const samples = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const wav = Buffer.alloc(44 + samples.length * 2);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + samples.length * 2, 4);
  wav.write('WAVEfmt ', 8, 'ascii');
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(clip.sampleRate, 24);
  wav.writeUInt32LE(clip.sampleRate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(samples.length * 2, 40);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.max(-1, Math.min(1, samples[i]!));
    wav.writeInt16LE(Math.round(v < 0 ? v * 0x8000 : v * 0x7fff), 44 + i * 2);
  }
  return wav;
}

/** Up to `count` of the clip's face frames, evenly spaced, side by side in one JPEG. */
export async function clipFrameStrip(clip: CachedClip, count: number): Promise<Buffer> {
  const range = clip.arrays.video;
  const { size, channels } = clip;
  if (!range || !size || !channels) throw new ClipMediaError(404, `clip ${clip.id} has no video in the cache`);
  const frameBytes = size * size * channels;
  if (range.bytes !== clip.frameCount * frameBytes) {
    throw new ClipMediaError(
      500,
      `clip ${clip.id}: ${range.bytes} video bytes are not ${clip.frameCount} frames of ${frameBytes}`,
    );
  }
  const video = await readRange(clip.binPath, range);
  const shown = Math.min(count, clip.frameCount);
  const width = shown * size;
  const rgba = Buffer.alloc(width * size * 4);
  for (let f = 0; f < shown; f++) {
    const frame = shown === 1 ? 0 : Math.round((f * (clip.frameCount - 1)) / (shown - 1));
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const from = frame * frameBytes + (y * size + x) * channels;
        const to = (y * width + f * size + x) * 4;
        rgba[to] = video[from]!;
        rgba[to + 1] = video[from + (channels === 3 ? 1 : 0)]!;
        rgba[to + 2] = video[from + (channels === 3 ? 2 : 0)]!;
        rgba[to + 3] = 255;
      }
    }
  }
  return jpeg.encode({ data: rgba, width, height: size }, 90).data;
}
