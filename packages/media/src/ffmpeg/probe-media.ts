import { stat } from 'node:fs/promises';
import type { FfmpegBinaries } from './ffmpeg-binary.js';
import { runFfmpeg } from './run-ffmpeg.js';
import { isoMediaTruncation } from './truncation.js';

export interface MediaInfo {
  path: string;
  /** Container duration in seconds (the longest stream). */
  durationSeconds: number;
  container: string;
  audio?: { sampleRate: number; channelCount: number; codec: string };
  video?: { width: number; height: number; fps: number; codec: string };
  /** Set when the file looks cut off (an MP4 whose boxes run past its end): what is wrong. */
  truncated?: string;
}

interface FfprobeJson {
  streams?: {
    codec_type?: string;
    codec_name?: string;
    width?: number;
    height?: number;
    sample_rate?: string;
    channels?: number;
    avg_frame_rate?: string;
    r_frame_rate?: string;
    duration?: string;
  }[];
  format?: { duration?: string; format_name?: string };
}

const rate = (fraction: string | undefined) => {
  const [num, den] = (fraction ?? '0/1').split('/').map(Number);
  return num && den ? num / den : 0;
};

/** Reads a media file's streams with ffprobe. Errors name the file and say what is wrong with it. */
export async function probeMedia(path: string, binaries?: FfmpegBinaries): Promise<MediaInfo> {
  const info = await stat(path).catch(() => undefined);
  if (info?.isDirectory()) throw new Error(`probeMedia: ${path}: is a directory, not a media file`);
  if (!info?.isFile()) throw new Error(`probeMedia: ${path}: no such file`);
  if (info.size === 0) throw new Error(`probeMedia: ${path}: file is empty (0 bytes)`);
  const truncated = await isoMediaTruncation(path);
  let json: FfprobeJson;
  try {
    const args = ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', path];
    const { stdout } = await runFfmpeg(args, { tool: 'ffprobe', binaries });
    json = JSON.parse(stdout.toString('utf8')) as FfprobeJson;
  } catch (error) {
    const reason = String((error as Error).message)
      .split('\n')
      .slice(1)
      .join(' ')
      .trim();
    const cutOff = truncated ? `; the file looks truncated: ${truncated}` : '';
    throw new Error(`probeMedia: ${path}: not a readable media file (${reason || (error as Error).message})${cutOff}`);
  }
  const streams = json.streams ?? [];
  const audio = streams.find((s) => s.codec_type === 'audio');
  const video = streams.find((s) => s.codec_type === 'video' && (s.width ?? 0) > 0);
  const durations = [json.format?.duration, ...streams.map((s) => s.duration)].map(Number).filter(Number.isFinite);
  return {
    path,
    durationSeconds: durations.length > 0 ? Math.max(...durations) : 0,
    container: json.format?.format_name ?? 'unknown',
    ...(truncated && { truncated }),
    ...(audio && {
      audio: {
        sampleRate: Number(audio.sample_rate),
        channelCount: audio.channels ?? 0,
        codec: audio.codec_name ?? '',
      },
    }),
    ...(video && {
      video: {
        width: video.width!,
        height: video.height!,
        fps: rate(video.avg_frame_rate) || rate(video.r_frame_rate),
        codec: video.codec_name ?? '',
      },
    }),
  };
}
