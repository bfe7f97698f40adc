import { open } from 'node:fs/promises';
import { type EvalRecord, type MetricsRecord, RunStoreError, validateMetricsRecord } from '@mtl/training/run-store';
import { lowerBound } from './sorted-search.js';

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
function visitScalars(record: MetricsRecord, visit: (tag: string, value: unknown) => void) {
  visit('loss', record.loss);
  visit('lossUnweighted', record.lossUnweighted);
  visit('examplesPerSecond', record.examplesPerSecond);
  for (const task in record.weights) visit(tagName('weights.', task), record.weights[task]);
  if (record.kind === 'step') {
    visit('lr', record.lr);
    for (const task in record.losses) visit(tagName('losses.', task), record.losses[task]);
  } else {
    for (const task in record.tasks) {
      const metrics = record.tasks[task];
      for (const name of TASK_METRICS) visit(tagName(`${task}.`, name), metrics?.[name]);
    }
  }
}

const TASK_METRICS = ['nll', 'accuracy', 'ua', 'wa', 'f1'] as const;

/** Tag names, made once: a million records would otherwise build ten million strings. */
const tagNames = new Map<string, Map<string, string>>();
function tagName(prefix: string, name: string): string {
  let names = tagNames.get(prefix);
  if (!names) {
    names = new Map();
    tagNames.set(prefix, names);
  }
  let tag = names.get(name);
  if (tag === undefined) {
    tag = prefix + name;
    names.set(name, tag);
  }
  return tag;
}

/** One series while it is read: its column and its running stats. */
interface Series {
  values: number[];
  stats: SeriesStats | undefined;
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
  private series = new Map<SeriesSource, Map<string, Series>>();
  confusions: ConfusionEntry[] = [];
  problems: string[] = [];
  records = 0;
  private offset = 0;
  private line = 0;
  private inode = -1;

  constructor(readonly file: string) {}

  /** min/max/last/count of every series, by `<source>/<tag>`. */
  stats(): Record<string, SeriesStats> {
    const out: Record<string, SeriesStats> = {};
    for (const [source, series] of this.series) {
      for (const [tag, entry] of series) if (entry.stats) out[`${source}/${tag}`] = { ...entry.stats };
    }
    return out;
  }

  private reset() {
    this.sources.clear();
    this.series.clear();
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
    let series = this.series.get(source);
    if (!columns || !series) {
      columns = { index: [], step: [], epoch: [], wallTime: [], values: {} };
      series = new Map();
      this.sources.set(source, columns);
      this.series.set(source, series);
    }
    const row = columns.index.length;
    columns.index.push(this.records);
    columns.step.push(record.step);
    columns.epoch.push(record.epoch);
    columns.wallTime.push(record.wallTime);
    let visited = 0;
    visitScalars(record, (tag, raw) => {
      visited++;
      const value = typeof raw === 'number' && Number.isFinite(raw) ? raw : Number.NaN;
      let entry = series.get(tag);
      if (!entry) {
        entry = { values: new Array<number>(row).fill(Number.NaN), stats: undefined };
        series.set(tag, entry);
        columns.values[tag] = entry.values;
      }
      entry.values.push(value);
      if (Number.isNaN(value)) return;
      const stats = entry.stats;
      if (stats) {
        if (value < stats.min) stats.min = value;
        if (value > stats.max) stats.max = value;
        stats.last = value;
        stats.count++;
      } else entry.stats = { min: value, max: value, last: value, count: 1 };
    });
    // A tag this record lacks keeps its column as long as the others.
    if (visited !== series.size) {
      for (const entry of series.values()) if (entry.values.length === row) entry.values.push(Number.NaN);
    }
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
