import { availableParallelism } from 'node:os';
import { type CachedClipMeta, type CacheVerification, ClipCache, type SourceIdentity } from '../cache/clip-cache.js';
import { batchJobs } from './batch-jobs.js';
import {
  type DecodeRuntime,
  type MediaClip,
  type PreprocessOptions,
  resolvePreprocessOptions,
} from './clip-options.js';
import { type ClipJob, type JobOutcome, runBatch } from './run-batch.js';
import { runInWorkers } from './worker-pool.js';

export interface PreprocessRunOptions extends Partial<PreprocessOptions> {
  /** Where the clip cache lives. */
  cacheDir: string;
  /**
   * Child processes working in parallel; default one per core. 0 runs every clip in this
   * process, one after another.
   */
  workers?: number;
  /** How sources are identified in cache keys. Default `stat`. */
  identity?: SourceIdentity;
  /**
   * What a cached clip must pass to be skipped: `size` (its `.bin` is whole; cheap) or
   * `checksum` (reads every cached clip). Default `size`; reads always check the checksum.
   */
  verify?: CacheVerification;
  /** Called after every clip. */
  onProgress?: (progress: PreprocessProgress) => void;
  /** Progress lines (at most one a second) and warnings; default stderr, `false` for none. */
  log?: ((line: string) => void) | false;
}

export interface PreprocessProgress {
  total: number;
  /** Clips preprocessed in this call. */
  done: number;
  /** Clips already in the cache. */
  cached: number;
  failed: number;
  elapsedSeconds: number;
  /** Estimated seconds left; undefined until a clip has finished. */
  etaSeconds: number | undefined;
}

export interface PreprocessFailure {
  id: string;
  /** The file the failure is about, when it is one of the clip's files. */
  file: string | undefined;
  reason: string;
}

/** `complete`: every clip is in the cache; `failed`: none is; `partial`: some are. */
export type PreprocessStatus = 'complete' | 'partial' | 'failed';

export interface PreprocessResult {
  status: PreprocessStatus;
  /** Clips in the cache after the call, done now or before (`cached`), in manifest order. */
  succeeded: { id: string; key: string; cached: boolean; meta: CachedClipMeta }[];
  failed: PreprocessFailure[];
  /** Cached clips found bad (record unreadable, arrays missing, truncated or changed), removed and made again. */
  rebuilt: { id: string; key: string; file: string; problem: string }[];
  /** Temporary files that killed writers left in the cache, removed. */
  removedTempFiles: string[];
  /** The cache's `index.json`: written or already right, what it repaired, or why it could not be written. */
  index: { written: boolean; repaired: string[]; error?: string };
  cache: ClipCache;
}

/**
 * Preprocesses a manifest into the clip cache: clips already cached are skipped (so an
 * interrupted run resumes), the rest run in parallel worker processes (cuts of one video in
 * batches that decode it once), and a bad file never stops the others: every failure is
 * returned with the clip, the file and the reason.
 */
export async function preprocess(manifest: MediaClip[], run: PreprocessRunOptions): Promise<PreprocessResult> {
  const { cacheDir, workers, identity, verify = 'size', onProgress, log: logOption, ...partial } = run;
  if (!Array.isArray(manifest)) throw new Error('preprocess: manifest must be an array of clips');
  if (typeof cacheDir !== 'string' || cacheDir === '') throw new Error('preprocess: cacheDir is required');
  const workerCount = workers ?? availableParallelism();
  if (!(Number.isInteger(workerCount) && workerCount >= 0)) {
    throw new Error(`preprocess: workers must be a whole number >= 0, got ${workers}`);
  }
  const options = resolvePreprocessOptions(partial);
  const log = logOption === false ? () => {} : (logOption ?? ((line: string) => process.stderr.write(`${line}\n`)));
  const cache = new ClipCache(cacheDir);
  // Clips already run in parallel: a single-threaded ffmpeg each wastes least CPU on sharing work.
  const runtime: DecodeRuntime = workerCount > 1 ? { threads: 1 } : {};
  const result: PreprocessResult = {
    status: 'complete',
    succeeded: [],
    failed: [],
    rebuilt: [],
    removedTempFiles: await cache.removeStaleTempFiles(),
    index: { written: false, repaired: [] },
    cache,
  };
  const fail = (clip: MediaClip | undefined, reason: string) => {
    const paths = [clip?.videoPath, clip?.audioPath].filter((p): p is string => p !== undefined);
    result.failed.push({
      id: String(clip?.id ?? '(no id)'),
      file: paths.find((p) => reason.includes(p)) ?? paths[0],
      reason,
    });
  };

  const jobs: ClipJob[] = [];
  const seen = new Set<string>();
  for (const clip of manifest) {
    if (typeof clip?.id !== 'string' || seen.has(clip.id)) {
      fail(clip, `clip id ${JSON.stringify(clip?.id)} is missing or repeated`);
      continue;
    }
    seen.add(clip.id);
    try {
      const sources = await cache.sourcesOf(clip, identity);
      const key = cache.keyFor(clip, options, sources);
      const stored = await cache.verify(key, verify);
      if (stored.status === 'ok') {
        result.succeeded.push({ id: clip.id, key, cached: true, meta: stored.meta });
        continue;
      }
      if (stored.status === 'bad') {
        const { file, problem } = stored.error;
        result.rebuilt.push({ id: clip.id, key, file, problem });
        log(`preprocess: ${clip.id}: cached clip ${file}: ${problem}; making it again`);
        await cache.remove(key).catch(() => undefined);
      }
      jobs.push({ key, clip, options, sources, cacheDir: cache.dir, runtime });
    } catch (error) {
      fail(clip, (error as Error).message);
    }
  }

  const started = performance.now();
  let lastLog = 0;
  let jobsFinished = 0;
  const total = manifest.length;
  const report = () => {
    const elapsedSeconds = (performance.now() - started) / 1000;
    const done = result.succeeded.filter((s) => !s.cached).length;
    const progress: PreprocessProgress = {
      total,
      done,
      cached: result.succeeded.length - done,
      failed: result.failed.length,
      elapsedSeconds,
      etaSeconds: jobsFinished > 0 ? ((jobs.length - jobsFinished) * elapsedSeconds) / jobsFinished : undefined,
    };
    onProgress?.(progress);
    if (jobsFinished === jobs.length || elapsedSeconds - lastLog >= 1) {
      lastLog = elapsedSeconds;
      const eta = progress.etaSeconds === undefined ? '' : `, ETA ${progress.etaSeconds.toFixed(0)} s`;
      log(
        `preprocess: ${done + progress.cached + progress.failed}/${total} (${progress.cached} cached, ${progress.failed} failed), ${elapsedSeconds.toFixed(1)} s${eta}`,
      );
    }
  };
  const settle = (job: ClipJob, outcome: JobOutcome) => {
    jobsFinished++;
    if ('meta' in outcome) {
      result.succeeded.push({ id: job.clip.id, key: job.key, cached: false, meta: outcome.meta });
      for (const warning of outcome.meta.warnings) log(`preprocess: warning: ${warning}`);
    } else {
      fail(job.clip, outcome.reason);
    }
    report();
  };

  const batches = batchJobs(jobs, options, workerCount);
  const settleBatch = (batch: ClipJob[], outcomes: JobOutcome[]) => {
    for (const [i, job] of batch.entries()) settle(job, outcomes[i]!);
  };
  try {
    if (workerCount === 0) {
      for (const batch of batches) settleBatch(batch, await runBatch(batch));
    } else {
      await runInWorkers(batches, Math.min(workerCount, batches.length), settleBatch);
    }
  } finally {
    // The clips are stored whatever happens to the index (it is derived from them): a
    // read-only or full cache still gets its per-clip report.
    try {
      const update = await cache.updateIndex(result.succeeded.filter((s) => !s.cached).map((s) => s.meta));
      result.index = { written: update.written, repaired: update.repaired };
    } catch (error) {
      result.index.error = (error as Error).message;
      log(`preprocess: warning: the cache index was not updated: ${result.index.error}`);
    }
  }
  if (jobs.length === 0) report();
  // In manifest order, whatever order the workers finished in.
  const order = new Map(manifest.map((clip, i) => [clip?.id, i]));
  const position = (id: string) => order.get(id) ?? -1;
  result.succeeded.sort((a, b) => position(a.id) - position(b.id));
  result.failed.sort((a, b) => position(a.id) - position(b.id));
  result.status = result.failed.length === 0 ? 'complete' : result.succeeded.length === 0 ? 'failed' : 'partial';
  return result;
}
