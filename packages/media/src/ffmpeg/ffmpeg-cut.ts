import { type FfmpegResult, type RunFfmpegOptions, runFfmpeg } from './run-ffmpeg.js';

/** A time range of one input file, and how many threads may decode it. */
export interface FfmpegCut {
  path: string;
  start: number;
  seconds: number;
  threads?: number;
}

/** What to make of the cut: filters for the streams it takes, and the output arguments. */
export interface FfmpegCutOutput {
  /** Video filter chain; set when the output takes video. */
  video?: string;
  /** Audio filter chain (may be empty); set when the output takes audio. */
  audio?: string;
  output: readonly string[];
}

/**
 * Runs ffmpeg on a cut of `cut.path`. ffmpeg seeks before opening the input, so it decodes
 * only from the keyframe before the cut. A file it cannot seek in (an FLV without a keyframe
 * index, for one) yields nothing that way; it is then decoded from its start and trimmed by
 * filters that restart the clock at the cut, so the frames are the ones a seek would give.
 */
export async function runFfmpegCut(
  cut: FfmpegCut,
  make: FfmpegCutOutput,
  options: RunFfmpegOptions = {},
): Promise<FfmpegResult> {
  const threads = cut.threads === undefined ? [] : ['-threads', String(cut.threads)];
  const quiet = ['-loglevel', 'warning', '-nostats', ...threads];
  const filters = (video: string | undefined, audio: string | undefined) => [
    ...(video === undefined ? [] : ['-vf', video]),
    ...(audio === undefined || audio === '' ? [] : ['-af', audio]),
  ];
  const seekArgs = cut.start === 0 ? [] : ['-ss', String(cut.start)];
  const input = [...quiet, ...seekArgs, '-t', String(cut.seconds), '-i', cut.path];
  const seeking = await runFfmpeg([...input, ...filters(make.video, make.audio), ...make.output], options);
  if (cut.start === 0 || !seeking.stderr.includes('could not seek')) return seeking;
  const range = `start=${cut.start}:duration=${cut.seconds}`;
  const join = (head: string, tail: string | undefined) => (tail ? `${head},${tail}` : head);
  const video = make.video === undefined ? undefined : join(`trim=${range},setpts=PTS-STARTPTS`, make.video);
  const audio = make.audio === undefined ? undefined : join(`atrim=${range},asetpts=PTS-STARTPTS`, make.audio);
  return runFfmpeg([...quiet, '-i', cut.path, ...filters(video, audio), ...make.output], options);
}
