import { spawn } from 'node:child_process';
import { type FfmpegBinaries, findFfmpeg } from './ffmpeg-binary.js';

export interface RunFfmpegOptions {
  /** Which tool to run. Default `ffmpeg`. */
  tool?: 'ffmpeg' | 'ffprobe';
  /** Binaries to use; default `findFfmpeg()`. */
  binaries?: FfmpegBinaries;
  /** Bytes written to the tool's stdin (use `-i pipe:0` or `-i -` in args). */
  input?: Uint8Array;
  /** Kills the process when aborted. */
  signal?: AbortSignal;
  /** Receives stdout as it arrives (for streams too large to hold); `stdout` is then empty. */
  onStdout?: (chunk: Buffer) => void;
  /** Further output pipes, file descriptors 3, 4, ... (ffmpeg writes to them as `pipe:3`, ...). */
  extraOutputs?: number;
}

export interface FfmpegResult {
  stdout: Buffer;
  stderr: string;
  /** What arrived on file descriptors 3, 4, ..., when `extraOutputs` asked for them. */
  extra: Buffer[];
}

/** Kept stderr tail: enough for ffmpeg's error lines without holding a long log. */
const STDERR_TAIL_CHARS = 16_384;

/**
 * Runs ffmpeg (or ffprobe) with `args`, collecting stdout as bytes. Rejects when the tool
 * exits non-zero, with the command and the last lines of its stderr in the message.
 * `-hide_banner -nostdin` are added for ffmpeg, so logs hold only what matters.
 */
export function runFfmpeg(args: readonly string[], options: RunFfmpegOptions = {}): Promise<FfmpegResult> {
  const tool = options.tool ?? 'ffmpeg';
  const binaries = options.binaries ?? findFfmpeg();
  const binary = tool === 'ffmpeg' ? binaries.ffmpeg : binaries.ffprobe;
  if (binary === undefined) {
    return Promise.reject(
      new Error('runFfmpeg: no ffprobe found; set FFPROBE_PATH or install @ffprobe-installer/ffprobe'),
    );
  }
  const fullArgs = tool === 'ffmpeg' ? ['-hide_banner', '-nostdin', ...args] : ['-hide_banner', ...args];
  return new Promise((resolve, reject) => {
    const extraCount = options.extraOutputs ?? 0;
    const child = spawn(binary, fullArgs, {
      stdio: [options.input ? 'pipe' : 'ignore', 'pipe', 'pipe', ...Array<'pipe'>(extraCount).fill('pipe')],
      signal: options.signal,
    });
    const extraChunks = Array.from({ length: extraCount }, (_, i) => {
      const chunks: Buffer[] = [];
      child.stdio[3 + i]?.on('data', (chunk: Buffer) => chunks.push(chunk));
      return chunks;
    });
    const chunks: Buffer[] = [];
    let stderr = '';
    const onStdout = options.onStdout ?? ((chunk: Buffer) => chunks.push(chunk));
    child.stdout?.on('data', onStdout);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });
    if (options.input && child.stdin) {
      // The tool may stop reading early (it saw enough, or failed); that is not our error.
      child.stdin.on('error', () => {});
      child.stdin.end(options.input);
    }
    child.on('error', (error) => reject(new Error(`runFfmpeg: could not run ${binary}: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) {
        resolve({ stdout: Buffer.concat(chunks), stderr, extra: extraChunks.map((c) => Buffer.concat(c)) });
        return;
      }
      const tail = stderr.trim().split('\n').slice(-6).join('\n');
      reject(new Error(`${tool} ${fullArgs.join(' ')} failed (${signal ?? `exit ${code}`}):\n${tail}`));
    });
  });
}
