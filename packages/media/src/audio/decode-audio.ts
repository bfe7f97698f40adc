import { open, stat } from 'node:fs/promises';
import type { FfmpegBinaries } from '../ffmpeg/ffmpeg-binary.js';
import { runFfmpegCut } from '../ffmpeg/ffmpeg-cut.js';
import { probeMedia } from '../ffmpeg/probe-media.js';
import { resample } from './resample.js';
import { decodeWav, looksLikeWav, readWavFile } from './wav.js';

export interface DecodeAudioOptions {
  /** Output rate in Hz. Default 16000 (the paper). */
  sampleRate?: number;
  /** Channel to keep (IEMOCAP: one per speaker), or `mix`. Default `mix`. */
  channel?: number | 'mix';
  /** Start of the cut in seconds. Default 0. */
  start?: number;
  /** End of the cut in seconds. Default the end of the file. */
  end?: number;
  /** Longest audio kept, in seconds; the true length is still reported. Default no cap. */
  maxSeconds?: number;
  binaries?: FfmpegBinaries;
  /** ffmpeg decoding threads (containers only); default ffmpeg's choice. */
  threads?: number;
}

export interface DecodedAudio {
  samples: Float32Array;
  sampleRate: number;
  sourceSampleRate: number;
  sourceChannelCount: number;
  /** Length of the requested cut before the cap. */
  sourceSeconds: number;
  /** True when `maxSeconds` shortened the audio. */
  capped: boolean;
  /** Problems that did not stop decoding: a WAV whose header promises more than the file holds, a cut-off MP4. */
  warnings: string[];
}

export function checkTimeRange(source: string, start: number, end: number | undefined): void {
  if (!(Number.isFinite(start) && start >= 0)) throw new Error(`${source}: start must be a number >= 0, got ${start}`);
  if (end !== undefined && !(Number.isFinite(end) && end > start)) {
    throw new Error(`${source}: end must be after start (${start} s), got ${end}`);
  }
}

/** The WAV's header, or undefined for an encoding only ffmpeg reads (A-law, mu-law, ADPCM, ...). */
async function readableWavHeader(path: string, channel: number | 'mix' | undefined) {
  try {
    return await readWavFile(path, { channel, end: 0 });
  } catch (error) {
    if ((error as Error).message.includes('unsupported WAV')) return undefined;
    throw error;
  }
}

/** The first bytes of a file, enough to tell a WAV by its header. */
async function readStart(path: string): Promise<Uint8Array> {
  const file = await open(path, 'r');
  try {
    const start = new Uint8Array(12);
    const { bytesRead } = await file.read(start, 0, 12, 0);
    return start.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/**
 * Decodes the audio of any file to mono float samples at `sampleRate`: PCM and float WAV
 * is parsed directly (recognised by its header, not its extension); anything else (mp4,
 * avi, flv, A-law WAV, ...) goes through ffmpeg as a float WAV stream. Only the requested cut is decoded.
 */
export async function decodeAudio(path: string, options: DecodeAudioOptions = {}): Promise<DecodedAudio> {
  const sampleRate = options.sampleRate ?? 16_000;
  const start = options.start ?? 0;
  const maxSeconds = options.maxSeconds ?? Number.POSITIVE_INFINITY;
  checkTimeRange(`decodeAudio: ${path}`, start, options.end);
  if (!(maxSeconds > 0)) throw new Error(`decodeAudio: maxSeconds must be > 0, got ${maxSeconds}`);
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`decodeAudio: ${path}: cannot read (${error.code ?? error.message})`);
  });
  if (info.isDirectory()) throw new Error(`decodeAudio: ${path}: is a directory, not a media file`);
  if (info.size === 0) throw new Error(`decodeAudio: ${path}: file is empty (0 bytes)`);
  const first = await readStart(path).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`decodeAudio: ${path}: cannot read (${error.code ?? error.message})`);
  });
  const warnings: string[] = [];

  let fileSeconds: number;
  let decoded: ReturnType<typeof decodeWav>;
  const keepEnd = (fileEnd: number) => Math.min(options.end ?? fileEnd, fileEnd, start + maxSeconds);
  const checkStart = () => {
    if (start >= fileSeconds)
      throw new Error(`decodeAudio: ${path}: start ${start} s is past the end (${fileSeconds} s)`);
  };
  const header = looksLikeWav(first) ? await readableWavHeader(path, options.channel) : undefined;
  if (header) {
    fileSeconds = header.frameCount / header.sampleRate;
    checkStart();
    // Only the cut is read: memory follows the cut, not the file.
    decoded = await readWavFile(path, { channel: options.channel, start, end: keepEnd(fileSeconds) });
    if (decoded.truncated) {
      warnings.push(
        `${path}: the WAV header promises more audio than the file holds: the recording looks cut off after ${fileSeconds.toFixed(3)} s`,
      );
    }
  } else {
    const media = await probeMedia(path, options.binaries);
    if (media.audio === undefined) {
      const why = media.truncated ? `; the file looks truncated: ${media.truncated}` : '';
      throw new Error(`decodeAudio: ${path}: has no audio stream (${media.container})${why}`);
    }
    if (media.truncated)
      warnings.push(`${path}: the file looks truncated (${media.truncated}): audio past the cut-off is missing`);
    fileSeconds = media.durationSeconds;
    checkStart();
    const cut = { path, start, seconds: keepEnd(fileSeconds) - start, threads: options.threads };
    const output = ['-map', '0:a:0', '-c:a', 'pcm_f32le', '-f', 'wav', '-'];
    const { stdout } = await runFfmpegCut(cut, { audio: '', output }, { binaries: options.binaries });
    decoded = decodeWav(stdout, { source: path, channel: options.channel });
  }
  const sourceSeconds = Math.min(options.end ?? fileSeconds, fileSeconds) - start;
  const resampled = resample(decoded.samples, decoded.sampleRate, sampleRate);
  // Codecs and trims can hand back a sample more than the cut holds; the cut decides.
  const cutSamples = Math.round((keepEnd(fileSeconds) - start) * sampleRate);
  return {
    samples: resampled.length > cutSamples ? resampled.slice(0, cutSamples) : resampled,
    sampleRate,
    sourceSampleRate: decoded.sampleRate,
    sourceChannelCount: decoded.channelCount,
    sourceSeconds,
    capped: sourceSeconds > maxSeconds,
    warnings,
  };
}
