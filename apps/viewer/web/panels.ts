import type { PredictionRecord, RunConfig } from '@mtl/training/run-store';
import type { ConfusionEntry, ExperimentListing } from '../src/index.js';
import { formatValue } from './format.js';
import type { ViewState } from './state.js';

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string) => {
  const element = document.createElement(tag);
  if (text !== undefined) element.textContent = text;
  if (className) element.className = className;
  return element;
};

function select(name: string, options: string[], value: string, onChange: (value: string) => void) {
  const label = el('label', `${name} `);
  const element = el('select');
  element.name = name;
  for (const option of options) element.append(new Option(option, option, false, option === value));
  element.addEventListener('change', () => onChange(element.value));
  label.append(element);
  return label;
}

function toggle(name: string, checked: boolean, onChange: (on: boolean) => void) {
  const label = el('label');
  const box = el('input');
  box.type = 'checkbox';
  box.name = name;
  box.checked = checked;
  box.addEventListener('change', () => onChange(box.checked));
  label.append(box, ` ${name}`);
  return label;
}

/** The run picker shared by the confusion and media panels. */
export function runPicker(runs: string[], state: ViewState, onChange: (patch: Partial<ViewState>) => void) {
  return select('run', runs, state.run, (run) => onChange({ run, epoch: null, clip: '' }));
}

/** Confusion matrices of one run: per task, split and epoch, as counts or row shares. */
export function renderConfusion(
  container: HTMLElement,
  runs: string[],
  data: { tasks: RunConfig['tasks']; confusions: ConfusionEntry[] },
  state: ViewState,
  onChange: (patch: Partial<ViewState>) => void,
) {
  const tasks = data.tasks.map((t) => t.name);
  const task = tasks.includes(state.task) ? state.task : (tasks[0] ?? '');
  const splits = [...new Set(data.confusions.filter((c) => c.task === task).map((c) => c.split))];
  const split = splits.includes(state.split as never) ? state.split : (splits[0] ?? '');
  const entries = data.confusions.filter((c) => c.task === task && c.split === split);
  const epochs = entries.map((c) => c.epoch);
  const epoch = state.epoch !== null && epochs.includes(state.epoch) ? state.epoch : epochs.at(-1);
  const controls = el('div', undefined, 'controls');
  controls.append(
    runPicker(runs, state, onChange),
    select('task', tasks, task, (value) => onChange({ task: value })),
    select('split', splits, split, (value) => onChange({ split: value })),
    select('epoch', epochs.map(String), String(epoch), (value) => onChange({ epoch: Number(value) })),
    toggle('row-normalised', state.normalise, (on) => onChange({ normalise: on })),
  );
  const entry = entries.find((c) => c.epoch === epoch);
  const classes = data.tasks.find((t) => t.name === task)?.classes ?? [];
  container.replaceChildren(controls);
  if (!entry) {
    container.append(el('p', 'This run has no confusion matrix yet.', 'empty'));
    return;
  }
  const table = el('table', undefined, 'confusion');
  table.dataset.task = task;
  const head = table.createTHead().insertRow();
  head.append(el('th', 'truth \\ predicted'));
  for (const name of classes) head.append(el('th', name));
  const body = table.createTBody();
  entry.matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    const tr = body.insertRow();
    tr.append(el('th', classes[i] ?? String(i)));
    row.forEach((count, j) => {
      const share = total > 0 ? count / total : 0;
      const cell = tr.insertCell();
      cell.dataset.cell = `${i},${j}`;
      cell.textContent = state.normalise ? share.toFixed(2) : String(count);
      cell.style.background = `rgba(40, 90, 200, ${share.toFixed(3)})`;
      if (share > 0.55) cell.style.color = '#fff';
      if (i === j) cell.classList.add('diagonal');
    });
  });
  container.append(el('p', `${task} · ${split} · epoch ${epoch} (step ${entry.step})`, 'caption'), table);
}

const argmax = (values: number[]) => values.reduce((best, v, i) => (v > values[best]! ? i : best), 0);

/** A run's per-clip predictions; a clip's audio and face frames come from the run's clip cache. */
export function renderMedia(
  container: HTMLElement,
  runs: string[],
  data: { id: string; tasks: RunConfig['tasks']; predictions: PredictionRecord[]; problems: string[] },
  state: ViewState,
  onChange: (patch: Partial<ViewState>) => void,
) {
  const controls = el('div', undefined, 'controls');
  controls.append(
    runPicker(runs, state, onChange),
    toggle('misclassified only', state.misclassified, (on) => onChange({ misclassified: on })),
  );
  const rows = data.predictions.map((p) => {
    const tasks = data.tasks.map((task) => {
      const probabilities = p.probabilities[task.name] ?? [];
      const predicted = argmax(probabilities);
      const truth = p.truth[task.name];
      return { task, truth, predicted, confidence: probabilities[predicted], right: truth === predicted };
    });
    return { prediction: p, tasks, wrong: tasks.some((t) => !t.right) };
  });
  const shown = state.misclassified ? rows.filter((r) => r.wrong) : rows;
  const table = el('table', undefined, 'predictions');
  const head = table.createTHead().insertRow();
  head.append(el('th', 'clip'), el('th', 'split'));
  for (const task of data.tasks) head.append(el('th', `${task.name}: truth → predicted (confidence)`));
  const body = table.createTBody();
  for (const row of shown) {
    const tr = body.insertRow();
    tr.dataset.clip = row.prediction.clipId;
    if (row.prediction.clipId === state.clip) tr.classList.add('current');
    tr.insertCell().textContent = row.prediction.clipId;
    tr.insertCell().textContent = row.prediction.split;
    for (const t of row.tasks) {
      const cell = tr.insertCell();
      cell.dataset.task = t.task.name;
      cell.className = t.right ? 'right' : 'wrong';
      const name = (i: number | undefined) => (i === undefined ? '?' : (t.task.classes[i] ?? String(i)));
      cell.textContent = `${name(t.truth)} → ${name(t.predicted)} (${formatValue(t.confidence).slice(0, 4)})`;
    }
    tr.addEventListener('click', () => onChange({ clip: row.prediction.clipId }));
  }
  const summary = el(
    'p',
    rows.length === 0
      ? 'This run has no predictions yet: predictions.jsonl is written by its final evaluation.'
      : `${shown.length} of ${rows.length} clips`,
    'caption',
  );
  container.replaceChildren(controls, summary);
  for (const problem of data.problems) container.append(el('p', problem, 'problem'));
  const detail = el('div', undefined, 'clip-detail');
  const current = rows.find((r) => r.prediction.clipId === state.clip);
  if (current) {
    const base = `api/runs/${encodeURIComponent(data.id)}/clips/${encodeURIComponent(current.prediction.clipId)}`;
    const audio = el('audio');
    audio.controls = true;
    audio.preload = 'auto';
    audio.src = `${base}/audio.wav`;
    const frames = el('img');
    frames.className = 'frames';
    frames.alt = `face frames of ${current.prediction.clipId}`;
    frames.src = `${base}/frames.jpg?count=12`;
    detail.append(el('h3', current.prediction.clipId), audio, frames);
  } else detail.append(el('p', 'Click a clip to hear it and see its face frames.', 'empty'));
  container.append(detail, table);
}

interface ExperimentResults {
  name: string;
  protocol: Record<string, unknown>;
  rows: {
    modal: string;
    weighting: { method: string; label?: string };
    runs: string[];
    failed: { runId: string; reason: string }[];
    metrics: Record<string, { mean: number; std: number; n: number }>;
  }[];
}

/** The paper's comparison table: one row per modality x weighting, mean ± std over runs; best in bold. */
export function renderExperiments(
  container: HTMLElement,
  experiments: ExperimentListing[],
  onShowRuns: (runs: string[]) => void,
) {
  container.replaceChildren();
  if (experiments.length === 0) container.append(el('p', 'No experiments found.', 'empty'));
  for (const experiment of experiments) {
    const section = el('section', undefined, 'experiment');
    section.dataset.experiment = experiment.name;
    section.append(el('h2', experiment.name));
    if ('problem' in experiment) {
      section.append(el('p', experiment.problem, 'problem'));
      container.append(section);
      continue;
    }
    const results = experiment.results as ExperimentResults;
    section.append(
      el(
        'p',
        Object.entries(results.protocol ?? {})
          .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`)
          .join(' · '),
        'caption',
      ),
    );
    const metrics = [...new Set(results.rows.flatMap((r) => Object.keys(r.metrics)))];
    const higherIsBetter = (name: string) => !name.endsWith('.nll');
    const best = new Map(
      metrics.map((m) => {
        const values = results.rows.map((r) => r.metrics[m]?.mean).filter((v) => v !== undefined);
        return [m, higherIsBetter(m) ? Math.max(...values) : Math.min(...values)];
      }),
    );
    const table = el('table', undefined, 'experiment-table');
    const head = table.createTHead().insertRow();
    for (const name of ['modal', 'weighting', 'runs', ...metrics]) head.append(el('th', name));
    const body = table.createTBody();
    for (const row of results.rows) {
      const tr = body.insertRow();
      tr.title = 'show these runs on the charts';
      tr.addEventListener('click', () => onShowRuns(row.runs));
      tr.insertCell().textContent = row.modal;
      tr.insertCell().textContent = row.weighting.label ?? row.weighting.method;
      const runs = tr.insertCell();
      runs.textContent = `${row.runs.length}${row.failed.length ? ` (${row.failed.length} failed)` : ''}`;
      if (row.failed.length) runs.title = row.failed.map((f) => `${f.runId}: ${f.reason}`).join('\n');
      for (const m of metrics) {
        const cell = tr.insertCell();
        cell.dataset.metric = m;
        const value = row.metrics[m];
        cell.textContent = value ? `${value.mean.toFixed(3)} ± ${value.std.toFixed(3)}` : '–';
        if (value && value.mean === best.get(m)) cell.classList.add('best');
      }
    }
    section.append(table);
    container.append(section);
  }
}
