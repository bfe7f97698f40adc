import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '@mtl/common';
import {
  type MetricsRecord,
  type PredictionRecord,
  parseMetrics,
  RUN_FILES,
  type RunConfig,
  type RunSummary,
} from './run-store/index.js';

const json = (value: unknown) => `${JSON.stringify(value, null, 1)}\n`;

/** Writes a run folder: whole files atomically, metrics appended one flushed line at a time. */
export class RunWriter {
  private metricsFd: number | undefined;

  constructor(readonly dir: string) {}

  path(file: string): string {
    return path.join(this.dir, file);
  }

  async writeConfig(config: RunConfig): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(this.path(RUN_FILES.config), json(config));
  }

  async writeSummary(summary: RunSummary): Promise<void> {
    await writeFileAtomic(this.path(RUN_FILES.summary), json(summary));
  }

  /** One line per record, written with its newline in one call and flushed to disk. */
  appendMetrics(record: MetricsRecord): void {
    this.metricsFd ??= openSync(this.path(RUN_FILES.metrics), 'a');
    writeSync(this.metricsFd, `${JSON.stringify(record)}\n`);
    fdatasyncSync(this.metricsFd);
  }

  /**
   * Before a resume: keeps only the records the checkpoint had seen (steps up to its step,
   * evaluations of the epochs it had finished), so re-run steps are not logged twice; a cut-off
   * last line goes too.
   */
  async truncateMetrics(keep: (record: MetricsRecord) => boolean): Promise<void> {
    const file = this.path(RUN_FILES.metrics);
    const text = await readFile(file, 'utf8').catch(() => '');
    const { records } = parseMetrics(text, file);
    await writeFileAtomic(
      file,
      records
        .filter(keep)
        .map((r) => `${JSON.stringify(r)}\n`)
        .join(''),
    );
  }

  async writePredictions(records: PredictionRecord[]): Promise<void> {
    await writeFileAtomic(this.path(RUN_FILES.predictions), records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  async writeJson(file: string, value: unknown): Promise<void> {
    await writeFileAtomic(this.path(file), json(value));
  }

  close(): void {
    if (this.metricsFd !== undefined) closeSync(this.metricsFd);
    this.metricsFd = undefined;
  }
}
