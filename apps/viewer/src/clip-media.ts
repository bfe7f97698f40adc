import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import jpeg from 'jpeg-js';
import { resolveInside } from './safe-path.js';

/**
 * Reads clips straight from a clip cache of @mtl/media (clips/<key[0:2]>/<key>.json next to
 * <key>.bin: float32 audio, then uint8 video frames) without loading that package, which
 * brings tfjs. Only the fields the viewer uses are read. Like the cache itself, it never
 * returns what the cache did not store: the `.bin` must have the size, and (format 2) the
 * SHA-256, that its JSON records.
 */
export interface CachedClip {
  key: string;
  id: string;
  format: number;
  frameCount: number;
  fps: number;
  sampleRate?: number;
  size?: number;
  channels?: 1 | 3;
  arrays: { audio?: { offset: number; bytes: number }; video?: { offset: number; bytes: number } };
  bin?: { bytes: number; sha256: string };
  /** The whole `.bin`, checked. */
  data: Buffer;
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
/** The cache layouts this reader knows (@mtl/media's CACHE_FORMAT). */
const FORMATS = [1, 2];

/** The clip `key` of the cache at `cacheDir`, checked: both files inside the cache, size and checksum agreeing. */
export async function openCachedClip(cacheDir: string, key: string): Promise<CachedClip> {
  if (!KEY.test(key)) throw new ClipMediaError(400, `not a clip cache key: ${JSON.stringify(key)}`);
  const jsonPath = await resolveInside(cacheDir, 'clips', key.slice(0, 2), `${key}.json`);
  const binPath = await resolveInside(cacheDir, 'clips', key.slice(0, 2), `${key}.bin`);
  if (!jsonPath || !binPath) throw new ClipMediaError(404, `clip ${key} is not in the clip cache ${cacheDir}`);
  let meta: Omit<CachedClip, 'data'>;
  try {
    meta = JSON.parse(await readFile(jsonPath, 'utf8')) as Omit<CachedClip, 'data'>;
  } catch {
    throw new ClipMediaError(500, `${jsonPath}: not valid JSON`);
  }
  if (!FORMATS.includes(meta.format)) {
    throw new ClipMediaError(
      500,
      `${jsonPath}: clip cache format ${JSON.stringify(meta.format)} is not one this viewer reads (${FORMATS.join(', ')})`,
    );
  }
  const data = await readFile(binPath);
  const expected = meta.bin?.bytes ?? (meta.arrays?.audio?.bytes ?? 0) + (meta.arrays?.video?.bytes ?? 0);
  if (data.length !== expected)
    throw new ClipMediaError(500, `${binPath} holds ${data.length} bytes; its JSON says ${expected}`);
  if (meta.bin && createHash('sha256').update(data).digest('hex') !== meta.bin.sha256) {
    throw new ClipMediaError(500, `${binPath}: checksum mismatch: the arrays changed on disk since they were written`);
  }
  return { ...meta, key, data };
}

const slice = (clip: CachedClip, range: { offset: number; bytes: number }) =>
  clip.data.subarray(range.offset, range.offset + range.bytes);

/** The clip's audio as a 16-bit PCM mono WAV. */
export async function clipAudioWav(clip: CachedClip): Promise<Buffer> {
  const range = clip.arrays.audio;
  if (!range || !clip.sampleRate) throw new ClipMediaError(404, `clip ${clip.id} has no audio in the cache`);
  // A copy: float32 needs 4-byte alignment, which a slice of the file need not have.
  const samples = new Float32Array(new Uint8Array(slice(clip, range)).buffer);
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
  const video = slice(clip, range);
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
