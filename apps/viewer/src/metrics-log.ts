import { open } from 'node:fs/promises';
import { type EvalRecord, type MetricsRecord, RunStoreError, validateMetricsRecord } from '@mtl/training/run-store';

/** Where a series comes from: the optimiser steps, or the evaluations of one split. */
export type SeriesSource = 'step' | EvalRecord['split'];

/** Summary of one series: what the runs table shows. */
export interface SeriesStats {
  min: number;
  max: number;
  last: number;
  count: number;
}

/**
 * Every stored point of one source, column by column. `index` is each row's record number
 * in the file, so a reader can ask for what came after the records it has. Missing values
 * are NaN (JSON.stringify writes them as null).
 */
export interface SourceColumns {
  index: number[];
  step: number[];
  epoch: number[];
  wallTime: number[];
  values: Record<string, number[]>;
}

/** A confusion matrix of one evaluation, for the confusion panel. */
export interface ConfusionEntry {
  split: EvalRecord['split'];
  epoch: number;
  step: number;
  task: string;
  matrix: number[][];
}

/** The scalar values of a record, by tag (the tag names the viewer shows on its charts). */
function scalarsOf(record: MetricsRecord): [string, unknown][] {
  const out: [string, unknown][] = [
    ['loss', record.loss],
    ['lossUnweighted', record.lossUnweighted],
    ['examplesPerSecond', record.examplesPerSecond],
  ];
  for (const [task, weight] of Object.entries(record.weights ?? {})) out.push([`weights.${task}`, weight]);
  if (record.kind === 'step') {
    out.push(['lr', record.lr]);
    for (const [task, loss] of Object.entries(record.losses ?? {})) out.push([`losses.${task}`, loss]);
  } else {
    for (const [task, metrics] of Object.entries(record.tasks)) {
      for (const name of ['nll', 'accuracy', 'ua', 'wa', 'f1'] as const) out.push([`${task}.${name}`, metrics?.[name]]);
    }
  }
  return out;
}

const CHUNK_BYTES = 1 << 20;

/**
 * metrics.jsonl read incrementally: each `update()` parses only the complete lines appended
 * since the last one. A half-written last line stays unread until its newline arrives; a
 * complete line that is not a valid record is skipped and reported, never fatal. A file that
 * shrank or was replaced is read again from the start.
 */
export class MetricsLog {
  sources = new Map<SeriesSource, SourceColumns>();
  stats = new Map<string, SeriesStats>();
  confusions: ConfusionEntry[] = [];
  problems: string[] = [];
  records = 0;
  private offset = 0;
  private line = 0;
  private inode = -1;

  constructor(readonly file: string) {}

  private reset() {
    this.sources.clear();
    this.stats.clear();
    this.confusions = [];
    this.problems = [];
    this.records = 0;
    this.offset = 0;
    this.line = 0;
  }

  /** Reads what was appended, given the file's inode and size; returns whether records were added. */
  async update(inode: number, size: number): Promise<boolean> {
    if (inode !== this.inode || size < this.offset) this.reset();
    this.inode = inode;
    if (size === this.offset) return false;
    const before = this.records;
    const handle = await open(this.file, 'r');
    try {
      let pending = Buffer.alloc(0);
      while (this.offset + pending.length < size) {
        const want = Math.min(CHUNK_BYTES, size - this.offset - pending.length);
        const chunk = Buffer.alloc(want);
        const { bytesRead } = await handle.read(chunk, 0, want, this.offset + pending.length);
        if (bytesRead === 0) break;
        pending =
          pending.length === 0 ? chunk.subarray(0, bytesRead) : Buffer.concat([pending, chunk.subarray(0, bytesRead)]);
        const lastNewline = pending.lastIndexOf(10);
        if (lastNewline < 0) continue;
        this.ingest(pending.subarray(0, lastNewline).toString('utf8'));
        this.offset += lastNewline + 1;
        pending = pending.subarray(lastNewline + 1);
      }
    } finally {
      await handle.close();
    }
    return this.records > before;
  }

  private ingest(text: string) {
    for (const line of text.split('\n')) {
      this.line++;
      if (line.trim() === '') continue;
      try {
        this.add(validateMetricsRecord(JSON.parse(line), { file: this.file, line: this.line }));
      } catch (error) {
        const reason =
          error instanceof RunStoreError
            ? error.message
            : `${this.file}:${this.line}: is not valid JSON (${(error as Error).message})`;
        // A log with thousands of bad lines would otherwise flood every listing.
        if (this.problems.length < 20) this.problems.push(reason);
      }
    }
  }

  private add(record: MetricsRecord) {
    const source: SeriesSource = record.kind === 'step' ? 'step' : record.split;
    let columns = this.sources.get(source);
    if (!columns) {
      columns = { index: [], step: [], epoch: [], wallTime: [], values: {} };
      this.sources.set(source, columns);
    }
    const row = columns.index.length;
    columns.index.push(this.records);
    columns.step.push(record.step);
    columns.epoch.push(record.epoch);
    columns.wallTime.push(record.wallTime);
    for (const [tag, raw] of scalarsOf(record)) {
      const value = typeof raw === 'number' && Number.isFinite(raw) ? raw : Number.NaN;
      let column = columns.values[tag];
      if (!column) {
        column = new Array<number>(row).fill(Number.NaN);
        columns.values[tag] = column;
      }
      column.push(value);
      if (Number.isNaN(value)) continue;
      const key = `${source}/${tag}`;
      const stats = this.stats.get(key);
      if (stats) {
        stats.min = Math.min(stats.min, value);
        stats.max = Math.max(stats.max, value);
        stats.last = value;
        stats.count++;
      } else this.stats.set(key, { min: value, max: value, last: value, count: 1 });
    }
    // A tag this record lacks keeps its column as long as the others.
    for (const column of Object.values(columns.values)) if (column.length === row) column.push(Number.NaN);
    if (record.kind === 'eval') {
      for (const [task, metrics] of Object.entries(record.tasks)) {
        if (Array.isArray(metrics?.confusion)) {
          this.confusions.push({
            split: record.split,
            epoch: record.epoch,
            step: record.step,
            task,
            matrix: metrics.confusion,
          });
        }
      }
    }
    this.records++;
  }

  /** The rows of every source whose record number is at least `from` (without `index`). */
  since(from: number): Record<string, Omit<SourceColumns, 'index'>> {
    const out: Record<string, Omit<SourceColumns, 'index'>> = {};
    for (const [source, columns] of this.sources) {
      const start = lowerBound(columns.index, from);
      if (start >= columns.index.length) continue;
      const values: Record<string, number[]> = {};
      for (const [tag, column] of Object.entries(columns.values)) values[tag] = column.slice(start);
      out[source] = {
        step: columns.step.slice(start),
        epoch: columns.epoch.slice(start),
        wallTime: columns.wallTime.slice(start),
        values,
      };
    }
    return out;
  }
}

function lowerBound(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
