/**
 * Readers for a run folder and an experiment folder. Node's fs only: no tfjs, so the
 * viewer and the CLI read runs without loading a tensor library.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  type ExperimentResults,
  type MetricsRecord,
  type PredictionRecord,
  RUN_FILES,
  type RunConfig,
  type RunSummary,
  validateExperimentResults,
  validateMetricsRecord,
  validatePrediction,
  validateRunConfig,
  validateSummary,
} from './formats.js';
import { type Origin, RunStoreError } from './schema.js';

/** A last line that was cut off while being written (the run was killed mid-append). */
export interface PartialLine {
  file: string;
  line: number;
  text: string;
}

export interface JsonLines<T> {
  records: T[];
  /** Set when the file's last line is incomplete JSON: tolerated, left out of `records`. */
  partialLastLine?: PartialLine;
}

/**
 * Parses JSON Lines text. A line that is not JSON throws, naming file and line, unless it
 * is the last line and the file does not end with a newline: a writer appends each record
 * with its newline in one write, so that is a record cut off mid-write, reported, not fatal.
 */
export function parseJsonLines<T>(
  text: string,
  file: string,
  validate: (value: unknown, origin: Origin) => T,
): JsonLines<T> {
  const lines = text.split('\n');
  const endsWithNewline = lines[lines.length - 1] === '';
  if (endsWithNewline) lines.pop();
  const result: JsonLines<T> = { records: [] };
  lines.forEach((content, i) => {
    const origin = { file, line: i + 1 };
    if (content.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch (error) {
      if (i === lines.length - 1 && !endsWithNewline) {
        result.partialLastLine = { file, line: i + 1, text: content };
        return;
      }
      throw new RunStoreError(origin, '', `is not valid JSON (${(error as Error).message})`);
    }
    result.records.push(validate(value, origin));
  });
  return result;
}

export const parseMetrics = (text: string, file: string = RUN_FILES.metrics): JsonLines<MetricsRecord> =>
  parseJsonLines(text, file, validateMetricsRecord);

export const parsePredictions = (text: string, file: string = RUN_FILES.predictions): JsonLines<PredictionRecord> =>
  parseJsonLines(text, file, validatePrediction);

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RunStoreError({ file }, '', `is not valid JSON (${(error as Error).message})`);
  }
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RunStoreError({ file }, '', code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`);
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

export async function readRunConfig(runDir: string): Promise<RunConfig> {
  const file = path.join(runDir, RUN_FILES.config);
  return validateRunConfig(parseJson(await readText(file), file), { file });
}

export async function readMetrics(runDir: string): Promise<JsonLines<MetricsRecord>> {
  const file = path.join(runDir, RUN_FILES.metrics);
  if (!(await exists(file))) return { records: [] };
  return parseMetrics(await readText(file), file);
}

export async function readSummary(runDir: string): Promise<RunSummary | undefined> {
  const file = path.join(runDir, RUN_FILES.summary);
  if (!(await exists(file))) return undefined;
  return validateSummary(parseJson(await readText(file), file), { file });
}

export async function readPredictions(runDir: string): Promise<JsonLines<PredictionRecord>> {
  const file = path.join(runDir, RUN_FILES.predictions);
  if (!(await exists(file))) return { records: [] };
  return parsePredictions(await readText(file), file);
}

export interface Run {
  dir: string;
  config: RunConfig;
  metrics: MetricsRecord[];
  /** Absent while a run has not written one yet. */
  summary?: RunSummary;
  predictions: PredictionRecord[];
  /** Tolerated problems: a half-written last line, a missing summary. */
  warnings: string[];
}

/** Reads and validates a whole run folder; throws a `RunStoreError` on the first bad file. */
export async function readRun(runDir: string): Promise<Run> {
  const dir = path.resolve(runDir);
  const config = await readRunConfig(dir);
  const metrics = await readMetrics(dir);
  const summary = await readSummary(dir);
  const predictions = await readPredictions(dir);
  const warnings: string[] = [];
  for (const partial of [metrics.partialLastLine, predictions.partialLastLine]) {
    if (partial)
      warnings.push(`${partial.file}:${partial.line}: last line is incomplete (a write was cut off); ignored`);
  }
  if (summary === undefined) warnings.push(`${path.join(dir, RUN_FILES.summary)}: not written yet`);
  return {
    dir,
    config,
    metrics: metrics.records,
    ...(summary ? { summary } : {}),
    predictions: predictions.records,
    warnings,
  };
}

export interface RunValidation {
  ok: boolean;
  errors: string[];
  warnings: string[];
}

/** Checks every file of a run folder, collecting all problems instead of stopping at the first. */
export async function validateRun(runDir: string): Promise<RunValidation> {
  const dir = path.resolve(runDir);
  const errors: string[] = [];
  const attempt = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (error) {
      errors.push((error as Error).message);
      return undefined;
    }
  };
  await attempt(() => readRunConfig(dir));
  const metrics = await attempt(() => readMetrics(dir));
  const summary = await attempt(() => readSummary(dir));
  const predictions = await attempt(() => readPredictions(dir));
  const warnings: string[] = [];
  for (const partial of [metrics?.partialLastLine, predictions?.partialLastLine]) {
    if (partial)
      warnings.push(`${partial.file}:${partial.line}: last line is incomplete (a write was cut off); ignored`);
  }
  if (summary === undefined && !errors.some((e) => e.includes(RUN_FILES.summary))) {
    warnings.push(`${path.join(dir, RUN_FILES.summary)}: not written yet`);
  }
  return { ok: errors.length === 0, errors, warnings };
}

/** The run folders (those holding a config.json) directly under `runsDir`, sorted by name. */
export async function listRuns(runsDir: string): Promise<string[]> {
  const entries = await readdir(runsDir, { withFileTypes: true }).catch(() => []);
  const runs: string[] = [];
  for (const entry of entries) {
    if (entry.isDirectory() && (await exists(path.join(runsDir, entry.name, RUN_FILES.config)))) {
      runs.push(path.join(runsDir, entry.name));
    }
  }
  return runs.sort();
}

export async function readExperimentResults(experimentDir: string): Promise<ExperimentResults> {
  const file = path.join(experimentDir, 'results.json');
  return validateExperimentResults(parseJson(await readText(file), file), { file });
}
