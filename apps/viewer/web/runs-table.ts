import type { RunListing } from '../src/index.js';
import { formatValue } from './format.js';
import type { ViewState } from './state.js';
import type { Store } from './store.js';

/** The runs table's config columns: what a run was (these are also what runs group by). */
export const CONFIG_COLUMNS: { key: string; value(run: RunListing): string }[] = [
  { key: 'status', value: (r) => r.summary?.status ?? (r.config ? 'unknown' : 'unreadable') },
  { key: 'corpus', value: (r) => r.config?.data?.corpus ?? '' },
  { key: 'modal', value: (r) => r.config?.model?.modal ?? '' },
  { key: 'weighting', value: (r) => r.config?.weighting?.method ?? '' },
  { key: 'preset', value: (r) => r.config?.model?.preset ?? '' },
  { key: 'seed', value: (r) => String(r.config?.seed ?? '') },
  { key: 'fold', value: (r) => String(r.config?.split?.fold ?? '') },
];

const STATS = ['min', 'max', 'last'] as const;

export const configValue = (run: RunListing, key: string) =>
  key === 'id' ? run.id : (CONFIG_COLUMNS.find((c) => c.key === key)?.value(run) ?? '');

/**
 * Space-separated terms, all of which must hold: `key=value` and `key!=value` compare a
 * config column (or id), anything else is a substring of the run's id or config values.
 */
export function matchesFilter(run: RunListing, filter: string): boolean {
  const text = [run.id, ...CONFIG_COLUMNS.map((c) => c.value(run))].join(' ').toLowerCase();
  return filter
    .toLowerCase()
    .split(/\s+/)
    .filter((t) => t !== '')
    .every((term) => {
      const match = /^([a-z]+)(!?=)(.*)$/.exec(term);
      if (!match) return text.includes(term);
      const value = configValue(run, match[1]!).toLowerCase();
      return match[2] === '=' ? value === match[3] : value !== match[3];
    });
}

/** Runs by the value of one config column, in order of first appearance. */
export function groupRuns(runs: RunListing[], key: string): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const run of runs) {
    const label = `${key}=${configValue(run, key)}`;
    groups.set(label, [...(groups.get(label) ?? []), run.id]);
  }
  return groups;
}

/** The stat columns shown when the user picked none: validation loss and each task's UA. */
export function defaultColumns(runs: RunListing[]): string[] {
  const tasks = runs.find((r) => r.config)?.config?.tasks.map((t) => t.name) ?? [];
  return ['validation/loss', ...tasks.map((t) => `validation/${t}.ua`)];
}

export interface RunsTableContext {
  store: Store;
  state: ViewState;
  runs: RunListing[];
  selected: Set<string>;
  columns: string[];
  onSelect(ids: string[], on: boolean): void;
  onSort(key: string): void;
}

function meanStd(values: number[]): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return '–';
  const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
  const std = Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / finite.length);
  return `${formatValue(mean)} ± ${formatValue(std)}`;
}

function sortValue(run: RunListing, key: string): string | number {
  const stat = /^(.*):(min|max|last)$/.exec(key);
  if (stat) return run.stats[stat[1]!]?.[stat[2] as 'min'] ?? Number.NaN;
  if (key === 'steps') return run.stats['step/loss']?.count ?? 0;
  const value = configValue(run, key);
  return key === 'seed' || key === 'fold' ? Number(value) : value;
}

export function sortRuns(runs: RunListing[], sort: string): RunListing[] {
  if (!sort) return runs;
  const descending = sort.startsWith('-');
  const key = descending ? sort.slice(1) : sort;
  return [...runs].sort((a, b) => {
    const x = sortValue(a, key);
    const y = sortValue(b, key);
    const order =
      typeof x === 'number' && typeof y === 'number'
        ? Number.isNaN(x)
          ? 1
          : Number.isNaN(y)
            ? -1
            : x - y
        : String(x).localeCompare(String(y));
    return descending ? -order : order;
  });
}

export function renderRunsTable(table: HTMLTableElement, context: RunsTableContext) {
  const { runs, columns, selected, state } = context;
  const head = document.createElement('thead');
  const headerRow = head.insertRow();
  const th = (text: string, sortKey?: string, span = 1) => {
    const cell = document.createElement('th');
    cell.textContent = text;
    cell.colSpan = span;
    if (sortKey) {
      cell.dataset.sort = sortKey;
      cell.className = 'sortable';
      if (state.sort === sortKey) cell.textContent += ' ▲';
      if (state.sort === `-${sortKey}`) cell.textContent += ' ▼';
      cell.addEventListener('click', () => context.onSort(sortKey));
    }
    headerRow.append(cell);
  };
  const all = document.createElement('th');
  const allBox = checkbox(runs.length > 0 && runs.every((r) => selected.has(r.id)), (on) =>
    context.onSelect(
      runs.map((r) => r.id),
      on,
    ),
  );
  allBox.dataset.select = '*';
  all.append(allBox);
  headerRow.append(all);
  th('run', 'id');
  for (const column of CONFIG_COLUMNS) th(column.key, column.key);
  th('steps', 'steps');
  for (const column of columns) for (const stat of STATS) th(`${column} ${stat}`, `${column}:${stat}`);

  const body = document.createElement('tbody');
  const runRow = (run: RunListing) => {
    const row = body.insertRow();
    row.dataset.run = run.id;
    const select = row.insertCell();
    const box = checkbox(selected.has(run.id), (on) => context.onSelect([run.id], on));
    box.dataset.select = run.id;
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = context.store.color(run.id);
    select.append(box, swatch);
    const name = row.insertCell();
    name.textContent = run.id;
    if (run.problems.length > 0) {
      name.title = run.problems.join('\n');
      name.classList.add('has-problems');
      name.textContent += ' ⚠';
    }
    for (const column of CONFIG_COLUMNS) {
      const cell = row.insertCell();
      cell.dataset.col = column.key;
      cell.textContent = column.value(run);
    }
    const steps = row.insertCell();
    steps.dataset.col = 'steps';
    steps.textContent = String(run.stats['step/loss']?.count ?? 0);
    for (const column of columns) {
      for (const stat of STATS) {
        const cell = row.insertCell();
        cell.dataset.col = `${column}:${stat}`;
        cell.className = 'number';
        cell.textContent = formatValue(run.stats[column]?.[stat]);
      }
    }
  };
  if (state.groupBy) {
    for (const [label, ids] of groupRuns(runs, state.groupBy)) {
      const members = runs.filter((r) => ids.includes(r.id));
      const row = body.insertRow();
      row.className = 'group-row';
      row.dataset.group = label;
      const select = row.insertCell();
      const box = checkbox(
        members.every((r) => selected.has(r.id)),
        (on) => context.onSelect(ids, on),
      );
      box.dataset.select = `group:${label}`;
      select.append(box);
      const name = row.insertCell();
      name.colSpan = CONFIG_COLUMNS.length + 2;
      name.textContent = `${label} (n=${members.length})`;
      for (const column of columns) {
        for (const stat of STATS) {
          const cell = row.insertCell();
          cell.dataset.col = `${column}:${stat}`;
          cell.className = 'number';
          cell.textContent = meanStd(members.map((r) => r.stats[column]?.[stat] ?? Number.NaN));
        }
      }
      for (const run of members) runRow(run);
    }
  } else runs.forEach(runRow);
  table.replaceChildren(head, body);
}

function checkbox(checked: boolean, onChange: (on: boolean) => void): HTMLInputElement {
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.checked = checked;
  box.addEventListener('change', () => onChange(box.checked));
  return box;
}
