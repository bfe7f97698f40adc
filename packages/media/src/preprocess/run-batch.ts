import { type CachedClipMeta, ClipCache } from '../cache/clip-cache.js';
import type { DecodeRuntime } from './clip-options.js';
import { preprocessClips } from './preprocess-clip.js';

/** A clip to preprocess and store, as `preprocess` hands it to a worker. */
export interface ClipJob extends Pick<CachedClipMeta, 'sources' | 'clip' | 'options'> {
  key: string;
  cacheDir: string;
  runtime: DecodeRuntime;
}

export type JobOutcome = { key: string; meta: CachedClipMeta } | { key: string; reason: string };

/**
 * Preprocesses a batch of jobs from one `preprocess` call (so one set of options) and
 * stores each result in the cache; every job gets its own outcome.
 */
export async function runBatch(batch: ClipJob[]): Promise<JobOutcome[]> {
  const [first] = batch;
  if (first === undefined) return [];
  const cache = new ClipCache(first.cacheDir);
  const clips = await preprocessClips(
    batch.map((job) => job.clip),
    first.options,
    first.runtime,
  );
  const outcomes: JobOutcome[] = [];
  for (const [i, job] of batch.entries()) {
    const clip = clips[i]!;
    try {
      if (clip instanceof Error) throw clip;
      const { sources, clip: source, options } = job;
      outcomes.push({ key: job.key, meta: await cache.write(job.key, clip, { sources, clip: source, options }) });
    } catch (error) {
      outcomes.push({ key: job.key, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return outcomes;
}
