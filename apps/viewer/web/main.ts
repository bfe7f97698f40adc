import './style.css';
import type { PredictionRecord, RunConfig } from '@mtl/training/run-store';
import type { ConfusionEntry, ExperimentListing, RunListing, RunsChange } from '../src/index.js';
import { ChartGrid, chartSections } from './charts.js';
import { downloadBlob, toCsv } from './export.js';
import { renderConfusion, renderExperiments, renderMedia } from './panels.js';
import {
  CONFIG_COLUMNS,
  configValue,
  defaultColumns,
  groupRuns,
  matchesFilter,
  renderRunsTable,
  sortRuns,
} from './runs-table.js';
import { decodeState, encodeState, type ViewState } from './state.js';
import { getJson, Store } from './store.js';

/** Runs drawn before the user picks any: the first ones, so 500 runs do not all load at once. */
const DEFAULT_DRAWN = 20;

const store = new Store();
let state: ViewState = decodeState(location.search);
const grid = new ChartGrid(document.querySelector('#charts')!);
const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T;

/** Measured for the bench and the e2e tests: the last full render, in ms. */
const timings: Record<string, number> = {};
(window as unknown as { mtlViewer: unknown }).mtlViewer = { timings, store, state: () => state };

function setState(patch: Partial<ViewState>, redraw: 'all' | 'panels' = 'all') {
  state = { ...state, ...patch };
  const query = encodeState(state);
  history.replaceState(null, '', query ? `?${query}` : location.pathname);
  if (redraw === 'all') void render();
  else void renderPanels();
}

const filteredRuns = () =>
  sortRuns(
    store
      .ids()
      .map((id) => store.listings.get(id)!)
      .filter((r) => matchesFilter(r, state.filter)),
    state.sort,
  );
const selectedIds = (): string[] => state.selected ?? store.ids().slice(0, DEFAULT_DRAWN);

let lastTableKey = '';

function renderTable(runs: RunListing[], selected: Set<string>) {
  renderRunsTable($('#runs-table'), {
    store,
    state,
    runs,
    selected,
    columns: state.columns ?? defaultColumns(runs),
    onSelect(ids, on) {
      const next = new Set(selectedIds());
      for (const id of ids) {
        if (on) next.add(id);
        else next.delete(id);
      }
      setState({ selected: store.ids().filter((id) => next.has(id)) });
    },
    onSort(key) {
      setState({ sort: state.sort === key ? `-${key}` : state.sort === `-${key}` ? '' : key });
    },
  });
}

let rendering: Promise<void> | undefined;
let renderAgain = false;

/** Renders now, or once more after the render in flight (so bursts of changes draw once or twice). */
function render(): Promise<void> {
  if (rendering) {
    renderAgain = true;
    return rendering;
  }
  rendering = renderNow().finally(() => {
    rendering = undefined;
    if (renderAgain) {
      renderAgain = false;
      void render();
    }
  });
  return rendering;
}

async function renderNow() {
  const started = performance.now();
  const runs = filteredRuns();
  const selected = new Set(selectedIds());
  const drawn = runs.filter((r) => selected.has(r.id)).map((r) => r.id);
  renderControls(runs);
  // The table is rebuilt only when something it shows changed (not on zoom or smoothing).
  const tableKey = JSON.stringify([
    runs.map((r) => [r.id, r.records, r.summary?.status, r.problems.length]),
    [...selected],
    state.columns,
    state.groupBy,
    state.sort,
  ]);
  if (tableKey !== lastTableKey) {
    lastTableKey = tableKey;
    renderTable(runs, selected);
  }
  await store.loadSeries(drawn);
  const listings = drawn.map((id) => store.listings.get(id)!);
  const keys = new Set(listings.flatMap((l) => Object.keys(l.stats)));
  const tasks = [...new Set([...listings.flatMap((l) => l.config?.tasks.map((t) => t.name) ?? []), ...tasksOf(keys)])];
  grid.update(
    {
      store,
      state,
      runs: drawn,
      groups: state.groupBy ? groupRuns(listings, state.groupBy) : null,
      onZoom: (range) => setState({ xRange: range }),
    },
    chartSections(keys, tasks),
  );
  timings.render = performance.now() - started;
  document.body.dataset.renders = String(Number(document.body.dataset.renders ?? 0) + 1);
  await renderPanels();
}

/** Task names the series name (so a run whose config is unreadable still shows its task charts). */
function tasksOf(keys: Set<string>): string[] {
  return [...keys].flatMap((key) => {
    const match = /^step\/(?:losses|weights)\.(.+)$/.exec(key) ?? /^[a-z]+\/(.+)\.(?:nll|ua|wa|f1|accuracy)$/.exec(key);
    return match ? [match[1]!] : [];
  });
}

function renderControls(runs: RunListing[]) {
  $<HTMLSelectElement>('#x-axis').value = state.x;
  $<HTMLInputElement>('#smoothing').value = String(state.smoothing);
  $<HTMLOutputElement>('#smoothing-value').value = state.smoothing.toFixed(2);
  $<HTMLInputElement>('#log-y').checked = state.logY;
  const group = $<HTMLSelectElement>('#group-by');
  if (group.options.length === 1) for (const c of CONFIG_COLUMNS) group.append(new Option(c.key, c.key));
  group.value = state.groupBy;
  const filter = $<HTMLInputElement>('#run-filter');
  if (document.activeElement !== filter) filter.value = state.filter;
  const tags = $<HTMLInputElement>('#tag-filter');
  if (document.activeElement !== tags) tags.value = state.tags;
  const columns = $<HTMLSelectElement>('#stat-columns');
  const all = [...new Set(runs.flatMap((r) => Object.keys(r.stats)))].sort();
  const chosen = new Set(state.columns ?? defaultColumns(runs));
  if (columns.options.length !== all.length) columns.replaceChildren(...all.map((key) => new Option(key, key)));
  for (const option of columns.options) option.selected = chosen.has(option.value);
  for (const button of document.querySelectorAll<HTMLButtonElement>('#tabs button')) {
    button.classList.toggle('active', button.dataset.tab === state.tab);
  }
  for (const tab of document.querySelectorAll<HTMLElement>('.tab')) tab.hidden = tab.id !== `tab-${state.tab}`;
  $('#runs-dir').textContent = `${store.runsDir} · ${store.listings.size} runs`;
}

/** The panel of the current tab; a run that vanished meanwhile shows why instead. */
async function renderPanels() {
  await renderPanelsNow().catch((error: Error) => {
    if (state.tab !== 'scalars') $(`#tab-${state.tab}`).textContent = error.message;
  });
}

async function renderPanelsNow() {
  renderControls(filteredRuns());
  if (state.tab === 'confusion' || state.tab === 'media') {
    // The media panel offers the runs that have predictions (written by the final evaluation).
    const withPredictions = store.ids().filter((id) => store.listings.get(id)?.hasPredictions);
    const runIds = state.tab === 'media' && withPredictions.length > 0 ? withPredictions : store.ids();
    const preferred = selectedIds().find((id) => runIds.includes(id));
    const run = runIds.includes(state.run) ? state.run : (preferred ?? runIds[0] ?? '');
    if (run !== state.run) state = { ...state, run };
    const container = $(`#tab-${state.tab}`);
    if (!run) {
      container.textContent = 'No runs.';
      return;
    }
    const onChange = (patch: Partial<ViewState>) => setState(patch, 'panels');
    if (state.tab === 'confusion') {
      const data = (await getJson(`api/runs/${encodeURIComponent(run)}/confusion`)) as {
        tasks: RunConfig['tasks'];
        confusions: ConfusionEntry[];
      };
      renderConfusion(container, runIds, data, state, onChange);
    } else {
      const data = (await getJson(`api/runs/${encodeURIComponent(run)}/predictions`)) as {
        id: string;
        tasks: RunConfig['tasks'];
        predictions: PredictionRecord[];
        problems: string[];
      };
      renderMedia(container, runIds, data, state, onChange);
    }
  }
  if (state.tab === 'experiments') {
    const data = (await getJson('api/experiments')) as { experiments: ExperimentListing[] };
    renderExperiments($('#tab-experiments'), data.experiments, (runs) => setState({ tab: 'scalars', selected: runs }));
  }
}

function exportRunsCsv() {
  const runs = filteredRuns();
  const columns = state.columns ?? defaultColumns(runs);
  const rows: (string | number)[][] = [
    ['run', ...CONFIG_COLUMNS.map((c) => c.key), ...columns.flatMap((c) => [`${c}:min`, `${c}:max`, `${c}:last`])],
  ];
  for (const run of runs) {
    rows.push([
      run.id,
      ...CONFIG_COLUMNS.map((c) => configValue(run, c.key)),
      ...columns.flatMap((c): (string | number)[] => {
        const s = run.stats[c];
        return s ? [s.min, s.max, s.last] : ['', '', ''];
      }),
    ]);
  }
  downloadBlob(new Blob([toCsv(rows)], { type: 'text/csv' }), 'runs.csv');
}

function wireControls() {
  $('#x-axis').addEventListener('change', (e) =>
    setState({ x: (e.target as HTMLSelectElement).value as ViewState['x'], xRange: null }),
  );
  $('#smoothing').addEventListener('input', (e) =>
    setState({ smoothing: Number((e.target as HTMLInputElement).value) }),
  );
  $('#log-y').addEventListener('change', (e) => setState({ logY: (e.target as HTMLInputElement).checked }));
  $('#group-by').addEventListener('change', (e) => setState({ groupBy: (e.target as HTMLSelectElement).value }));
  $('#run-filter').addEventListener('input', (e) => setState({ filter: (e.target as HTMLInputElement).value }));
  $('#tag-filter').addEventListener('input', (e) => setState({ tags: (e.target as HTMLInputElement).value }));
  $('#stat-columns').addEventListener('change', (e) =>
    setState({ columns: [...(e.target as HTMLSelectElement).selectedOptions].map((o) => o.value) }),
  );
  $('#export-runs').addEventListener('click', exportRunsCsv);
  $('#reset-zoom').addEventListener('click', () => setState({ xRange: null }));
  for (const button of document.querySelectorAll<HTMLButtonElement>('#tabs button')) {
    button.addEventListener('click', () => setState({ tab: button.dataset.tab as ViewState['tab'] }));
  }
  let resizing: ReturnType<typeof setTimeout> | undefined;
  window.addEventListener('resize', () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => void render(), 150);
  });
}

/** Live updates: the server says what changed; the page fetches only that, keeping its view. */
function listen() {
  const events = new EventSource('api/events');
  const live = $('#live');
  events.addEventListener('open', () => {
    live.textContent = '● live';
  });
  events.addEventListener('error', () => {
    live.textContent = '○ reconnecting';
  });
  let pending: Promise<void> = Promise.resolve();
  events.addEventListener('change', (event) => {
    const change = JSON.parse((event as MessageEvent).data) as RunsChange;
    pending = pending.then(async () => {
      if (change.added.length + change.removed.length > 0) await store.loadRuns();
      else await store.loadRuns(change.updated.map((u) => u.id));
      for (const id of change.removed) store.series.delete(id);
      timings.lastLiveUpdate = Date.now();
      await render();
    });
  });
}

async function start() {
  const started = performance.now();
  wireControls();
  await store.loadRuns();
  await render();
  timings.load = performance.now() - started;
  document.body.dataset.ready = 'true';
  listen();
}

void start();
