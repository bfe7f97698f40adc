import { readdir, readFile, stat } from 'node:fs/promises';
import {
  type Origin,
  type PredictionRecord,
  RUN_FILES,
  type RunConfig,
  RunStoreError,
  type RunSummary,
  validatePrediction,
  validateRunConfig,
  validateSummary,
} from '@mtl/training/run-store';
import { MetricsLog, type SeriesStats } from './metrics-log.js';
import { resolveInside } from './safe-path.js';

/** What the runs table needs of one run. */
export interface RunListing {
  id: string;
  config: RunConfig | null;
  summary: RunSummary | null;
  /** Metrics records read so far. */
  records: number;
  /** By `<source>/<tag>`, e.g. `validation/emotion.ua`. */
  stats: Record<string, SeriesStats>;
  hasPredictions: boolean;
  /** Files that could not be read or lines that were skipped, each naming the file. */
  problems: string[];
}

/** What changed in one refresh. */
export interface RunsChange {
  added: string[];
  removed: string[];
  /** Runs whose config, summary, predictions or metrics changed, with their record count. */
  updated: { id: string; records: number }[];
}

const stamp = (info: { ino: number; size: number; mtimeMs: number } | undefined) =>
  info ? `${info.ino}:${info.size}:${info.mtimeMs}` : '';

async function readJson<T>(file: string, validate: (value: unknown, origin: Origin) => T): Promise<T> {
  const text = await readFile(file, 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RunStoreError({ file }, '', `is not valid JSON (${(error as Error).message})`);
  }
  return validate(value, { file });
}

class Run {
  config: RunConfig | null = null;
  summary: RunSummary | null = null;
  fileProblems = new Map<string, string>();
  metrics: MetricsLog | undefined;
  private stamps = new Map<string, string>();
  private predictions: { stamp: string; records: PredictionRecord[]; problems: string[] } | undefined;

  constructor(
    readonly root: string,
    readonly id: string,
  ) {}

  /** A file of this run, by real path, when it exists inside the runs folder. */
  file(name: string) {
    return resolveInside(this.root, this.id, name);
  }

  /** Re-reads what changed on disk; true when anything did. */
  async refresh(): Promise<boolean> {
    const [config, summary, metrics, predictions] = await Promise.all(
      [RUN_FILES.config, RUN_FILES.summary, RUN_FILES.metrics, RUN_FILES.predictions].map(async (name) => {
        const path = await this.file(name);
        return { name, path, info: path ? await stat(path).catch(() => undefined) : undefined };
      }),
    );
    let changed = false;
    const changedStamp = (entry: { name: string; info?: { ino: number; size: number; mtimeMs: number } }) => {
      const now = stamp(entry.info);
      if (this.stamps.get(entry.name) === now) return false;
      this.stamps.set(entry.name, now);
      changed = true;
      return true;
    };
    if (changedStamp(config!)) {
      this.fileProblems.delete('config.json');
      this.config = config!.path
        ? await readJson(config!.path, validateRunConfig).catch((error: Error) => {
            this.fileProblems.set('config.json', error.message);
            return null;
          })
        : null;
    }
    if (changedStamp(summary!)) {
      this.fileProblems.delete('summary.json');
      this.summary = summary!.path
        ? await readJson(summary!.path, validateSummary).catch((error: Error) => {
            this.fileProblems.set('summary.json', error.message);
            return null;
          })
        : null;
    }
    if (changedStamp(predictions!)) this.predictions = undefined;
    if (metrics!.path && metrics!.info) {
      if (this.metrics?.file !== metrics!.path) this.metrics = new MetricsLog(metrics!.path);
      if (await this.metrics.update(metrics!.info.ino, metrics!.info.size)) changed = true;
    } else if (this.metrics) {
      this.metrics = undefined;
      changed = true;
    }
    return changed;
  }

  listing(): RunListing {
    return {
      id: this.id,
      config: this.config,
      summary: this.summary,
      records: this.metrics?.records ?? 0,
      stats: this.metrics?.stats() ?? {},
      hasPredictions: this.stamps.get('predictions.jsonl') !== '',
      problems: [...this.fileProblems.values(), ...(this.metrics?.problems ?? [])],
    };
  }

  /** predictions.jsonl, read again only when it changed; bad lines are skipped and reported. */
  async readPredictions(): Promise<{ records: PredictionRecord[]; problems: string[] }> {
    const path = await this.file(RUN_FILES.predictions);
    if (!path) return { records: [], problems: [] };
    const info = await stat(path);
    if (this.predictions?.stamp === stamp(info)) return this.predictions;
    const text = await readFile(path, 'utf8');
    const records: PredictionRecord[] = [];
    const problems: string[] = [];
    const lines = text.split('\n');
    // The last line is complete only when the file ends with a newline.
    lines.pop();
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        records.push(validatePrediction(JSON.parse(line), { file: path, line: i + 1 }));
      } catch (error) {
        problems.push(
          error instanceof RunStoreError
            ? error.message
            : `${path}:${i + 1}: is not valid JSON (${(error as Error).message})`,
        );
      }
    });
    this.predictions = { stamp: stamp(info), records, problems };
    return this.predictions;
  }
}

/** Runs read at once in a scan: the first scan of a big folder lists runs as they come. */
const SCAN_CONCURRENCY = 8;
/** Least time between two change reports within one scan, in ms. */
const REPORT_EVERY_MS = 300;

/**
 * The runs folder, watched by polling: runs appear when their folder does and vanish with
 * it; each refresh re-reads only what changed, and reports what changed to `onChange` as
 * it goes (so a first scan of 500 runs shows the first ones at once). Every file is opened
 * by its real path, and only when that lies inside the runs folder (a run folder or file
 * linked out is not read).
 */
export class RunsFolder {
  private runs = new Map<string, Run>();
  private refreshing: Promise<RunsChange> | undefined;

  constructor(
    readonly root: string,
    private readonly onChange: (change: RunsChange) => void = () => {},
  ) {}

  get(id: string): Run | undefined {
    return this.runs.get(id);
  }

  list(ids?: string[]): RunListing[] {
    const runs = ids
      ? ids.map((id) => this.runs.get(id)).filter((r) => r !== undefined)
      : [...this.runs.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    return runs.map((run) => run.listing());
  }

  /** One refresh at a time: a call during one waits for it. Resolves to everything it changed. */
  refresh(): Promise<RunsChange> {
    this.refreshing ??= this.scan().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async scan(): Promise<RunsChange> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    const present = new Set<string>();
    for (const entry of entries) {
      if (entry.name.startsWith('.') || !(entry.isDirectory() || entry.isSymbolicLink())) continue;
      if (await resolveInside(this.root, entry.name)) present.add(entry.name);
    }
    const total: RunsChange = { added: [], removed: [], updated: [] };
    let unreported: RunsChange = { added: [], removed: [], updated: [] };
    let reportedAt = Date.now();
    const report = () => {
      if (unreported.added.length + unreported.removed.length + unreported.updated.length > 0)
        this.onChange(unreported);
      unreported = { added: [], removed: [], updated: [] };
      reportedAt = Date.now();
    };
    for (const id of this.runs.keys()) {
      if (!present.has(id)) {
        this.runs.delete(id);
        total.removed.push(id);
        unreported.removed.push(id);
      }
    }
    const queue = [...present].sort();
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        let run = this.runs.get(id);
        const isNew = run === undefined;
        run ??= new Run(this.root, id);
        const changed = await run.refresh();
        // A folder is a run once it has a config (or a problem with one).
        if (run.config === null && run.fileProblems.size === 0) continue;
        if (isNew) {
          this.runs.set(id, run);
          total.added.push(id);
          unreported.added.push(id);
        } else if (changed) {
          const update = { id, records: run.metrics?.records ?? 0 };
          total.updated.push(update);
          unreported.updated.push(update);
        }
        if (Date.now() - reportedAt > REPORT_EVERY_MS) report();
      }
    };
    await Promise.all(Array.from({ length: SCAN_CONCURRENCY }, worker));
    report();
    total.added.sort();
    return total;
  }
}
