import type { Json, RunModal } from '@mtl/training/run-store';
import { readConfigFile } from '../config-file.js';
import { usageError } from '../errors.js';
import { checkWeighting } from '../weighting.js';

/** One row of the comparison table: a weighting method with its options and a short label. */
export interface GridWeighting {
  label: string;
  method: string;
  options: { [key: string]: Json };
}

/** What an experiment compares: every modal with every weighting, each over seeds x folds. */
export interface Grid {
  modals: RunModal[];
  weightings: GridWeighting[];
  /** Training options for every cell (`epochs`, `batchSize`, `lr`, ...); command-line flags override them. */
  train: Record<string, unknown>;
}

/** One run of the grid. */
export interface GridCell {
  /** The run id: experiment, modal, weighting label, seed and fold. */
  id: string;
  modal: RunModal;
  weighting: GridWeighting;
  seed: number;
  fold: number;
}

export const GRID_MODALS: readonly RunModal[] = ['audio', 'video', 'multi'];

/**
 * The paper's comparison (Chae et al. 2018): audio, video and audio+video models, each
 * trained with static uniform weights, a static one-hot weight for each task alone, and
 * the learned softmax ("dynamic") weights.
 */
export const PAPER_GRID: Grid = {
  modals: [...GRID_MODALS],
  weightings: [
    { label: 'static uniform', method: 'static', options: {} },
    { label: 'static emotion-only', method: 'static', options: { only: 'emotion' } },
    { label: 'static gender-only', method: 'static', options: { only: 'gender' } },
    { label: 'dynamic softmax', method: 'softmax', options: {} },
  ],
  train: {},
};

function parseWeighting(value: unknown, where: string): GridWeighting {
  if (typeof value === 'string') return { label: value, method: value, options: {} };
  if (typeof value !== 'object' || value === null || typeof (value as { method?: unknown }).method !== 'string') {
    throw usageError(`${where}: expected a method name or { method, options?, label? }, got ${JSON.stringify(value)}`);
  }
  const { method, options = {}, label } = value as { method: string; options?: unknown; label?: unknown };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw usageError(`${where}: options must be a mapping, got ${JSON.stringify(options)}`);
  }
  const optionText = Object.entries(options)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');
  return {
    method,
    options: options as { [key: string]: Json },
    label: typeof label === 'string' && label !== '' ? label : [method, optionText].filter(Boolean).join(' '),
  };
}

/**
 * A grid from `--grid`: `paper`, or a JSON/YAML file with `modals`, `weightings` (names, or
 * `{ method, options, label }`), `train` (options for every cell) and `extends: paper` to add
 * rows to the paper's grid.
 */
export async function loadGrid(source: string): Promise<Grid> {
  let grid: Grid;
  if (source === 'paper') {
    grid = structuredClone(PAPER_GRID);
  } else {
    const file = await readConfigFile(source);
    const known = ['extends', 'modals', 'weightings', 'train'];
    const unknown = Object.keys(file).filter((key) => !known.includes(key));
    if (unknown.length > 0)
      throw usageError(`grid file ${source}: unknown key '${unknown[0]}'; valid: ${known.join(', ')}`);
    if (file.extends !== undefined && file.extends !== 'paper') {
      throw usageError(`grid file ${source}: extends must be 'paper', got ${JSON.stringify(file.extends)}`);
    }
    const base = file.extends === 'paper' ? structuredClone(PAPER_GRID) : { modals: [], weightings: [], train: {} };
    const modals = file.modals ?? (file.extends === 'paper' ? base.modals : undefined);
    if (!Array.isArray(modals) || modals.length === 0 || modals.some((m) => !GRID_MODALS.includes(m))) {
      throw usageError(
        `grid file ${source}: modals must be a list of ${GRID_MODALS.join(', ')}, got ${JSON.stringify(modals)}`,
      );
    }
    const extra = file.weightings ?? [];
    if (!Array.isArray(extra)) throw usageError(`grid file ${source}: weightings must be a list`);
    const weightings = [
      ...base.weightings,
      ...extra.map((w, i) => parseWeighting(w, `grid file ${source}: weightings[${i}]`)),
    ];
    if (weightings.length === 0) throw usageError(`grid file ${source}: no weightings (add a list, or extends: paper)`);
    const train = file.train ?? {};
    if (typeof train !== 'object' || train === null || Array.isArray(train)) {
      throw usageError(`grid file ${source}: train must be a mapping of train options`);
    }
    grid = { modals: [...new Set(modals as RunModal[])], weightings, train: train as Record<string, unknown> };
  }
  const labels = new Set<string>();
  for (const weighting of grid.weightings) {
    if (labels.has(weighting.label))
      throw usageError(`grid ${source}: two weightings are labelled '${weighting.label}'`);
    labels.add(weighting.label);
    checkWeighting(weighting.method, weighting.options, `grid ${source}: weighting '${weighting.label}'`);
  }
  return grid;
}

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** Every cell, in table order (modal, weighting, then fold and seed). */
export function expandGrid(name: string, grid: Grid, seeds: number[], folds: number[]): GridCell[] {
  const cells: GridCell[] = [];
  for (const modal of grid.modals) {
    for (const weighting of grid.weightings) {
      for (const fold of folds) {
        for (const seed of seeds) {
          const id = `${slug(name)}--${modal}-${slug(weighting.label)}-fold${fold}-seed${seed}`;
          cells.push({ id, modal, weighting, seed, fold });
        }
      }
    }
  }
  return cells;
}
