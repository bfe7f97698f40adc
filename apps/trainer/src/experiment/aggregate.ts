import {
  type EvalSummary,
  EXPERIMENT_FORMAT,
  EXPERIMENT_METRICS,
  type ExperimentResults,
  type ExperimentRow,
  type MetricStat,
} from '@mtl/training/run-store';
import type { GridCell } from './grid.js';

/** How one cell ended: its test-split evaluation, or why it has none. */
export type CellOutcome = { cell: GridCell; test: EvalSummary } | { cell: GridCell; failed: string };

/** The value of each table metric in one run's test evaluation. */
export function cellMetrics(test: EvalSummary): Record<string, number | undefined> {
  const emotion = test.tasks.emotion;
  const gender = test.tasks.gender;
  return {
    'emotion.nll': emotion?.nll,
    'gender.nll': gender?.nll,
    'joint.nll': test.lossUnweighted,
    'emotion.ua': emotion?.ua,
    'emotion.wa': emotion?.wa,
    'emotion.f1': emotion?.f1,
    'gender.accuracy': gender?.accuracy,
  };
}

/** Mean and sample standard deviation (n - 1; 0 for a single value). */
export function meanStd(values: number[]): MetricStat {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, std: 0, n: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(variance), n };
}

/** One row per (modal, weighting), in grid order, with mean ± std over its seeds and folds. */
export function aggregate(
  name: string,
  protocol: ExperimentResults['protocol'],
  outcomes: CellOutcome[],
): ExperimentResults {
  const rows = new Map<string, { row: ExperimentRow; values: Record<string, number[]> }>();
  for (const outcome of outcomes) {
    const { modal, weighting } = outcome.cell;
    const key = `${modal}\u0000${weighting.label}`;
    let entry = rows.get(key);
    if (!entry) {
      entry = {
        row: { modal, weighting: { ...weighting }, runs: [], failed: [], metrics: {} },
        values: Object.fromEntries(EXPERIMENT_METRICS.map((m) => [m, [] as number[]])),
      };
      rows.set(key, entry);
    }
    if ('failed' in outcome) {
      entry.row.failed.push({ runId: outcome.cell.id, reason: outcome.failed });
      continue;
    }
    entry.row.runs.push(outcome.cell.id);
    for (const [metric, value] of Object.entries(cellMetrics(outcome.test))) {
      if (value !== undefined && Number.isFinite(value)) entry.values[metric]?.push(value);
    }
  }
  return {
    format: EXPERIMENT_FORMAT,
    name,
    protocol,
    rows: [...rows.values()].map(({ row, values }) => ({
      ...row,
      metrics: Object.fromEntries(
        EXPERIMENT_METRICS.filter((m) => (values[m]?.length ?? 0) > 0).map((m) => [m, meanStd(values[m] ?? [])]),
      ),
    })),
  };
}

const COLUMNS: [metric: string, title: string, lowerIsBetter: boolean][] = [
  ['emotion.ua', 'emotion UA', false],
  ['emotion.wa', 'emotion WA', false],
  ['emotion.f1', 'emotion F1', false],
  ['gender.accuracy', 'gender acc', false],
  ['emotion.nll', 'emotion NLL', true],
  ['gender.nll', 'gender NLL', true],
  ['joint.nll', 'joint NLL', true],
];

function cell(stat: MetricStat | undefined): string {
  if (!stat || stat.n === 0) return '-';
  return stat.n > 1 ? `${stat.mean.toFixed(3)} ± ${stat.std.toFixed(3)}` : stat.mean.toFixed(3);
}

/** The table alone (Markdown), as the demo prints it. */
export function resultsTable(results: ExperimentResults): string {
  const header = ['modal', 'weighting', ...COLUMNS.map(([, title]) => title), 'runs'];
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const row of results.rows) {
    const runs = `${row.runs.length}${row.failed.length > 0 ? ` (+${row.failed.length} failed)` : ''}`;
    lines.push(
      `| ${[row.modal, row.weighting.label, ...COLUMNS.map(([metric]) => cell(row.metrics[metric])), runs].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/** results.md: the protocol in words, the table, and every failed run with its reason. */
export function resultsMarkdown(results: ExperimentResults, chance: { emotion: number; gender: number }): string {
  const p = results.protocol;
  const failed = results.rows.flatMap((row) => row.failed);
  return [
    `# Experiment ${results.name}`,
    '',
    '## Protocol',
    '',
    `- Corpus: ${p.corpus}; split: ${p.split} (${p.speakerIndependent ? 'speaker-independent: no test or validation speaker is seen in training' : 'speaker-dependent: the same speakers appear in training and test'}).`,
    `- Folds: ${p.folds.join(', ')}; seeds: ${p.seeds.join(', ')}; every cell of the grid is trained once per fold and seed.`,
    `- Model: ${p.preset} preset; ${p.epochs} epochs; the checkpoint with the best validation joint NLL is evaluated on the test split.`,
    `- Each entry is the mean ± sample standard deviation over the cell's runs (a single run shows its value). UA = unweighted accuracy (mean per-class recall), WA = overall accuracy, F1 = macro-F1; NLL = negative log-likelihood per clip, joint = emotion + gender.`,
    `- Chance: emotion UA ${chance.emotion.toFixed(3)} (${Math.round(1 / chance.emotion)} classes), gender accuracy about ${chance.gender.toFixed(3)}.`,
    '',
    '## Results (test split)',
    '',
    resultsTable(results),
    '',
    ...(failed.length > 0 ? ['## Failed runs', '', ...failed.map((f) => `- ${f.runId}: ${f.reason}`), ''] : []),
  ].join('\n');
}
