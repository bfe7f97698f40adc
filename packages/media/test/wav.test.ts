import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav, looksLikeWav } from '../src/index.js';
import { encode, left, maxError, mediaDir, right, STEREO_TONES } from './media-fixtures.js';

const dir = mediaDir('wav');
afterAll(() => dir.remove());

/** Each PCM/float codec ffmpeg writes, with the error its quantisation allows. */
const codecs = [
  { codec: 'pcm_u8', bits: 8, encoding: 'pcm', tolerance: 1 / 100 },
  { codec: 'pcm_s16le', bits: 16, encoding: 'pcm', tolerance: 1e-4 },
  { codec: 'pcm_s24le', bits: 24, encoding: 'pcm', tolerance: 1e-6 },
  { codec: 'pcm_s32le', bits: 32, encoding: 'pcm', tolerance: 1e-6 },
  { codec: 'pcm_f32le', bits: 32, encoding: 'float', tolerance: 1e-6 },
  { codec: 'pcm_f64le', bits: 64, encoding: 'float', tolerance: 1e-6 },
] as const;

const bytesOf = (path: string) => new Uint8Array(readFileSync(path));
const formatTag = (bytes: Uint8Array) => bytes[20]! | (bytes[21]! << 8);

describe('decodeWav', () => {
  const files = new Map<string, Uint8Array>();
  beforeAll(async () => {
    for (const { codec } of codecs) {
      files.set(codec, bytesOf(await encode([STEREO_TONES(16000, 0.5)], ['-c:a', codec], dir.path(`${codec}.wav`))));
    }
  });

  for (const { codec, bits, encoding, tolerance } of codecs) {
    it(`decodes ${codec} and picks each channel`, () => {
      const bytes = files.get(codec)!;
      const left0 = decodeWav(bytes, { channel: 0 });
      expect(left0).toMatchObject({
        sampleRate: 16000,
        channelCount: 2,
        bitsPerSample: bits,
        encoding,
        truncated: false,
      });
      expect(left0.samples.length).toBe(8000);
      expect(maxError(left0.samples, 16000, left)).toBeLessThan(tolerance);
      expect(maxError(decodeWav(bytes, { channel: 1 }).samples, 16000, right)).toBeLessThan(tolerance);
      const mix = decodeWav(bytes, { channel: 'mix' }).samples;
      expect(maxError(mix, 16000, (t) => (left(t) + right(t)) / 2)).toBeLessThan(tolerance);
    });
  }

  it('reads WAVE_FORMAT_EXTENSIBLE with four channels (one speaker per channel)', async () => {
    const graph = 'aevalsrc=0.1|0.2|0.3|0.4*sin(2*PI*300*t):s=8000:d=0.25';
    const bytes = bytesOf(await encode([graph], ['-c:a', 'pcm_s16le'], dir.path('quad.wav')));
    expect(formatTag(bytes)).toBe(0xfffe);
    const fourth = decodeWav(bytes, { channel: 3 });
    expect(fourth.channelCount).toBe(4);
    expect(maxError(fourth.samples, 8000, (t) => 0.4 * Math.sin(2 * Math.PI * 300 * t))).toBeLessThan(1e-4);
    expect(maxError(decodeWav(bytes, { channel: 2 }).samples, 8000, () => 0.3)).toBeLessThan(1e-4);
  });

  it('reads RF64 and a streamed WAV whose sizes were never filled in', async () => {
    const rf64 = bytesOf(
      await encode([STEREO_TONES(16000, 0.5)], ['-c:a', 'pcm_s16le', '-rf64', 'always'], dir.path('rf64.wav')),
    );
    expect(String.fromCharCode(...rf64.subarray(0, 4))).toBe('RF64');
    expect(decodeWav(rf64, { channel: 0 }).samples.length).toBe(8000);

    const streamed = files.get('pcm_s16le')!.slice();
    const view = new DataView(streamed.buffer);
    const dataAt = findChunk(streamed, 'data');
    view.setUint32(4, 0xffffffff, true);
    view.setUint32(dataAt + 4, 0xffffffff, true);
    const decoded = decodeWav(streamed, { channel: 0 });
    expect(decoded.samples.length).toBe(8000);
    expect(decoded.truncated).toBe(false);
  });

  it('reads odd chunk layouts: odd-sized chunks with pad bytes, data before fmt', () => {
    const original = files.get('pcm_s16le')!;
    const fmt = chunk(original, 'fmt ');
    const data = chunk(original, 'data');
    const junk = new Uint8Array([...ascii('JUNK'), 3, 0, 0, 0, 1, 2, 3, 0]); // 3 bytes + pad byte
    const body = concat(ascii('WAVE'), junk, data, junk, fmt);
    const riff = concat(ascii('RIFF'), u32(body.length), body);
    expect(decodeWav(riff, { channel: 1 }).samples).toEqual(decodeWav(original, { channel: 1 }).samples);
  });

  it('decodes the part a cut-off file still holds, and says it was cut off', () => {
    const original = files.get('pcm_s24le')!;
    const cut = original.subarray(0, original.length - 1000 - 2); // not a whole frame either
    const decoded = decodeWav(cut, { channel: 0 });
    expect(decoded.truncated).toBe(true);
    expect(decoded.samples.length).toBe(8000 - Math.ceil(1002 / 6));
    expect(maxError(decoded.samples, 16000, left)).toBeLessThan(1e-6);
  });

  it('decodes only the requested time range', () => {
    const cut = decodeWav(files.get('pcm_f32le')!, { channel: 0, start: 0.1, end: 0.35 });
    expect(cut.samples.length).toBe(4000);
    expect(maxError(cut.samples, 16000, left, 1600)).toBeLessThan(1e-6);
    expect(cut.frameCount).toBe(8000);
  });

  it('rejects bad input with the source and the problem', async () => {
    const source = 'clip.wav';
    expect(() => decodeWav(new Uint8Array(0), { source })).toThrow('decodeWav: clip.wav: file is empty (0 bytes)');
    expect(() => decodeWav(new TextEncoder().encode('ID3 garbage header, not audio'), { source })).toThrow(
      'clip.wav: not a WAV file',
    );
    expect(() => decodeWav(files.get('pcm_s16le')!, { source, channel: 2 })).toThrow(
      'clip.wav: channel 2 does not exist (the file has 2)',
    );
    const alaw = bytesOf(await encode([STEREO_TONES(8000, 0.1)], ['-c:a', 'pcm_alaw'], dir.path('alaw.wav')));
    expect(() => decodeWav(alaw, { source })).toThrow('unsupported WAV format code 0x6');
    const headerOnly = files.get('pcm_s16le')!.subarray(0, 12);
    expect(() => decodeWav(headerOnly, { source })).toThrow('clip.wav: no fmt chunk');
    expect(looksLikeWav(files.get('pcm_u8')!)).toBe(true);
  });
});

function findChunk(bytes: Uint8Array, id: string): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 12; offset + 8 <= bytes.length; ) {
    if (String.fromCharCode(...bytes.subarray(offset, offset + 4)) === id) return offset;
    const size = view.getUint32(offset + 4, true);
    offset += 8 + size + (size % 2);
  }
  throw new Error(`no ${id} chunk`);
}

function chunk(bytes: Uint8Array, id: string): Uint8Array {
  const at = findChunk(bytes, id);
  const size = new DataView(bytes.buffer, bytes.byteOffset).getUint32(at + 4, true);
  return bytes.subarray(at, at + 8 + size + (size % 2));
}

const ascii = (text: string) => new TextEncoder().encode(text);
const u32 = (value: number) => new Uint8Array(new Uint32Array([value]).buffer);
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
};
