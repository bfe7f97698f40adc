import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { hashSeed, SeededRandom } from '@mtl/common';
import { AudioStatsAccumulator, ClipCache } from '@mtl/media';
import type { InputSpec, ModelInputs } from '@mtl/models';
import * as tf from '@tensorflow/tfjs-core';
import {
  type AssembledBatch,
  type AssembleRequest,
  assembleBatch,
  type ClipRef,
  preprocessingDifferences,
} from './assemble-batch.js';
import type { RunClip } from './run-store/index.js';

/** One clip of a split: where it is in the cache, how long it is, its class per task (as config.json records it). */
export type LoaderClip = RunClip;

export interface LoaderOptions {
  cacheDir: string;
  clips: LoaderClip[];
  /** What the model reads (`model.inputSpec`); the cache is checked against it. */
  spec: InputSpec;
  tasks: readonly string[];
  batchSize: number;
  /** Global audio normalisation: `computeAudioStats` over the training split. */
  audioStats: { mean: number; std: number };
  /** Seeds each epoch's order; the same seed and epoch give the same batches. */
  seed: number;
  /** Shuffle each epoch (training); off keeps the clips' order (evaluation). Default true. */
  shuffle?: boolean;
  /** Batch clips of similar length together, so less of each batch is padding. Default false. */
  bucketByLength?: boolean;
  /** Assemble the next batch on a worker thread while the current one trains. Default true. */
  prefetch?: boolean;
}

/** A padded batch as tensors; the consumer disposes it. */
export interface Batch {
  epoch: number;
  /** Position in the epoch, from 0: where a resumed epoch continues. */
  index: number;
  clipIds: string[];
  /** Absent when every clip of the batch failed to load. */
  inputs?: ModelInputs;
  /** int32 class index per clip, per task. */
  labels: Record<string, tf.Tensor1D>;
  skipped: { clipId: string; reason: string }[];
  /** Bytes of the batch's input arrays. */
  bytes: number;
  /** Milliseconds spent reading and assembling it (off the training thread when prefetched). */
  loadMs: number;
  /** Milliseconds the consumer waited for it. */
  waitMs: number;
  dispose(): void;
}

/** Clips per bucket group when bucketing: sorted by length inside, shuffled between. */
const BUCKET_BATCHES = 20;

/**
 * Reads a split's clips from the clip cache in batches: seeded order per epoch (so a run
 * resumes mid-epoch at a batch index), zero padding to the longest clip plus per-clip
 * lengths, optional length bucketing, and the next batch assembled on a worker thread while
 * the current one trains. Holds one or two batches in memory, never the corpus.
 */
export class ClipLoader {
  readonly options: Readonly<Required<LoaderOptions>>;
  private worker: PrefetchWorker | undefined;

  private constructor(options: LoaderOptions) {
    this.options = { shuffle: true, bucketByLength: false, prefetch: true, ...options };
    // Started now, so the thread has booted by the time the first batch is asked for.
    if (this.options.prefetch) this.worker = PrefetchWorker.acquire();
  }

  /** Checks the options and that the cache holds what the model reads (naming what differs). */
  static async create(options: LoaderOptions): Promise<ClipLoader> {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new Error(`ClipLoader: batchSize must be a whole number >= 1, got ${options.batchSize}`);
    }
    if (options.clips.length === 0) throw new Error('ClipLoader: no clips');
    const first = options.clips[0]!;
    const meta = await new ClipCache(options.cacheDir).readMeta(first.key);
    const differences = preprocessingDifferences(meta, options.spec);
    if (differences.length > 0) {
      throw new Error(
        `ClipLoader: the clip cache ${options.cacheDir} was preprocessed differently from what the model reads (clip ${first.id}): ${differences.join('; ')}. Preprocess again with matching options.`,
      );
    }
    return new ClipLoader(options);
  }

  get batchesPerEpoch(): number {
    return Math.ceil(this.options.clips.length / this.options.batchSize);
  }

  /** The clips of each batch of an epoch (1-based), in order: a pure function of seed and epoch. */
  epochPlan(epoch: number): LoaderClip[][] {
    const { clips, batchSize, shuffle, bucketByLength, seed } = this.options;
    // A stream per epoch, so any epoch (and any batch in it) can be replayed alone.
    const random = new SeededRandom(hashSeed(seed, `epoch ${epoch}`));
    let order = shuffle ? random.shuffle(clips) : clips.slice();
    if (bucketByLength) {
      const group = batchSize * BUCKET_BATCHES;
      const sorted: LoaderClip[] = [];
      for (let i = 0; i < order.length; i += group) {
        sorted.push(...order.slice(i, i + group).sort((a, b) => a.frameCount - b.frameCount));
      }
      order = sorted;
    }
    const batches: LoaderClip[][] = [];
    for (let i = 0; i < order.length; i += batchSize) batches.push(order.slice(i, i + batchSize));
    return bucketByLength && shuffle ? random.shuffle(batches) : batches;
  }

  /** The batches of an epoch from batch `from` on. With prefetch, batch k+1 is assembled while k is used. */
  async *epoch(epoch: number, from = 0): AsyncGenerator<Batch> {
    const plan = this.epochPlan(epoch);
    const request = (clips: LoaderClip[]): Promise<AssembledBatch> => {
      const body: AssembleRequest = {
        cacheDir: this.options.cacheDir,
        clips: clips.map(({ id, key }) => ({ id, key })),
        spec: this.options.spec,
        audioStats: this.options.audioStats,
      };
      if (!this.options.prefetch) return assembleBatch(body);
      this.worker ??= PrefetchWorker.acquire();
      return this.worker.assemble(body);
    };
    let pending: Promise<AssembledBatch> | undefined;
    try {
      for (let index = from; index < plan.length; index++) {
        const waitStarted = performance.now();
        const assembled = await (pending ?? request(plan[index]!));
        const waitMs = performance.now() - waitStarted;
        pending = this.options.prefetch && index + 1 < plan.length ? request(plan[index + 1]!) : undefined;
        yield this.toBatch(epoch, index, plan[index]!, assembled, waitMs);
      }
    } finally {
      // A consumer that stops early (interrupt, early stop) leaves the prefetched batch unused.
      pending?.catch(() => {});
    }
  }

  private toBatch(epoch: number, index: number, clips: LoaderClip[], assembled: AssembledBatch, waitMs: number): Batch {
    const { spec, tasks } = this.options;
    const byId = new Map(clips.map((clip) => [clip.id, clip]));
    const { clipIds, lengths, frames } = assembled;
    const count = clipIds.length;
    const inputs: ModelInputs | undefined =
      count === 0
        ? undefined
        : {
            lengths,
            ...(assembled.audio && {
              audio: tf.tensor2d(assembled.audio, [count, frames * spec.samplesPerFrame]),
            }),
            ...(assembled.video && {
              video: tf.tensor5d(assembled.video, [count, frames, spec.frameSize, spec.frameSize, spec.channels]),
            }),
          };
    const labels = Object.fromEntries(
      tasks.map((task) => [
        task,
        tf.tensor1d(
          clipIds.map((id) => byId.get(id)!.labels[task]!),
          'int32',
        ),
      ]),
    );
    return {
      epoch,
      index,
      clipIds,
      ...(inputs && { inputs }),
      labels,
      skipped: assembled.skipped,
      bytes: assembled.bytes,
      loadMs: assembled.loadMs,
      waitMs,
      dispose: () =>
        tf.dispose([inputs?.audio, inputs?.video, ...Object.values(labels)].filter((t) => t !== undefined)),
    };
  }

  /** Stops the prefetch thread. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.release();
  }
}

/** The global mean and deviation of the clips' audio (the training split's, for normalisation), over the clips that load. */
export async function computeAudioStats(
  cacheDir: string,
  clips: readonly ClipRef[],
): Promise<{ mean: number; std: number }> {
  const cache = new ClipCache(cacheDir);
  const accumulator = new AudioStatsAccumulator();
  for (const clip of clips) {
    // Clips the loader will skip (unreadable, non-finite samples) must not skew the statistics either.
    const { audio } = await cache.read(clip.key).catch(() => ({ audio: undefined }));
    if (audio?.every(Number.isFinite)) accumulator.add(audio);
  }
  const { mean, std } = accumulator.stats();
  return { mean, std };
}

/**
 * Starts the prefetch thread now and keeps it until the returned release: a run calls it
 * first, so the thread boots while the data is prepared instead of on the first batch.
 */
export function holdPrefetchThread(): () => Promise<void> {
  const worker = PrefetchWorker.acquire();
  return () => worker.release();
}

/**
 * The worker thread that runs `assembleBatch`, one per process, shared by the open loaders
 * (a run's train, validation and test loaders) and stopped when the last one closes.
 */
class PrefetchWorker {
  private static shared: PrefetchWorker | undefined;
  private users = 0;

  static acquire(): PrefetchWorker {
    PrefetchWorker.shared ??= new PrefetchWorker();
    PrefetchWorker.shared.users++;
    return PrefetchWorker.shared;
  }

  async release(): Promise<void> {
    if (--this.users > 0) return;
    if (PrefetchWorker.shared === this) PrefetchWorker.shared = undefined;
    await this.thread.terminate();
  }

  private readonly thread: Worker;
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (b: AssembledBatch) => void; reject: (e: Error) => void }>();

  private constructor() {
    // From sources (tests, bench) the worker is TypeScript and runs through tsx.
    const fromSource = import.meta.url.endsWith('.ts');
    const entry = new URL(fromSource ? './prefetch-worker.ts' : './prefetch-worker.js', import.meta.url);
    this.thread = fromSource
      ? new Worker(new URL('./ts-worker.mjs', import.meta.url), {
          workerData: { entry: entry.href },
          execArgv: ['--conditions=@mtl/source'],
        })
      : new Worker(fileURLToPath(entry));
    this.thread.unref();
    this.thread.on('message', ({ id, batch, error }: { id: number; batch?: AssembledBatch; error?: string }) => {
      const waiter = this.waiting.get(id);
      this.waiting.delete(id);
      if (batch) waiter?.resolve(batch);
      else waiter?.reject(new Error(`prefetch worker: ${error}`));
    });
    this.thread.on('error', (error) => this.failAll(error));
    this.thread.on('exit', (code) => {
      if (PrefetchWorker.shared === this) PrefetchWorker.shared = undefined;
      this.failAll(new Error(`prefetch worker exited (${code})`));
    });
  }

  assemble(request: AssembleRequest): Promise<AssembledBatch> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.thread.postMessage({ id, request });
    });
  }

  private failAll(error: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}
