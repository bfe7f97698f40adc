import type { PreprocessOptions } from './clip-options.js';
import type { ClipJob } from './run-batch.js';

/** Most clips decoded in one ffmpeg run; more would leave workers idle at the end. */
const MAX_BATCH = 8;
/** Past this gap between cuts, seeking again costs less than decoding the gap. */
const MAX_GAP_SECONDS = 5;

/**
 * Groups jobs whose clips are cuts of one video file and near in time (fixed or full crop),
 * so each group's file is decoded once; groups stay small enough to give every worker work.
 */
export function batchJobs(jobs: ClipJob[], options: PreprocessOptions, workerCount: number): ClipJob[][] {
  if (!options.video || options.video.crop.mode === 'detect') return jobs.map((job) => [job]);
  const perBatch = Math.max(1, Math.min(MAX_BATCH, Math.ceil(jobs.length / Math.max(1, workerCount))));
  const byVideo = new Map<string, ClipJob[]>();
  for (const job of jobs) {
    const file = job.clip.videoPath ?? '';
    if (!byVideo.has(file)) byVideo.set(file, []);
    byVideo.get(file)!.push(job);
  }
  const batches: ClipJob[][] = [];
  for (const group of byVideo.values()) {
    group.sort((a, b) => (a.clip.start ?? 0) - (b.clip.start ?? 0));
    let current: ClipJob[] = [];
    for (const job of group) {
      const last = current.at(-1);
      const gap = last ? (job.clip.start ?? 0) - (last.clip.end ?? Number.POSITIVE_INFINITY) : 0;
      if (current.length === perBatch || gap > MAX_GAP_SECONDS) {
        batches.push(current);
        current = [];
      }
      current.push(job);
    }
    if (current.length > 0) batches.push(current);
  }
  return batches;
}
