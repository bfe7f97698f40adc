import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { lowerBound } from '../src/sorted-search.js';
import { meanAndSpread, meanBuckets, minMaxBuckets, slotGrid, valueAt } from './downsample.js';
import { downloadBlob, toCsv } from './export.js';
import { formatSeconds, formatValue } from './format.js';
import { debiasedEma } from './smoothing.js';
import type { ViewState } from './state.js';
import type { Store } from './store.js';

export interface ChartSpec {
  key: string;
  source: string;
  tag: string;
  title: string;
}

export interface ChartSection {
  title: string;
  charts: ChartSpec[];
}

/** What the charts draw: the runs, the groups (when grouping) and how to report a zoom. */
export interface ChartContext {
  store: Store;
  state: ViewState;
  runs: string[];
  groups: Map<string, string[]> | null;
  onZoom(range: [number, number] | null): void;
}

const SPLITS = ['train', 'validation', 'test'];
const TASK_METRICS = ['nll', 'ua', 'wa', 'f1', 'accuracy'];

const chart = (source: string, tag: string): ChartSpec => ({
  key: `${source}/${tag}`,
  source,
  tag,
  title: `${tag} · ${source === 'step' ? 'training steps' : source}`,
});

/**
 * The charts of the runs' tags: the task weights first (the point of the project), then one
 * section per task, then the overall loss, learning rate and speed.
 */
export function chartSections(keys: Set<string>, tasks: string[]): ChartSection[] {
  const sections: ChartSection[] = [
    { title: 'task weights', charts: tasks.map((t) => chart('step', `weights.${t}`)) },
    ...tasks.map((task) => ({
      title: task,
      charts: [
        chart('step', `losses.${task}`),
        ...SPLITS.flatMap((split) => TASK_METRICS.map((m) => chart(split, `${task}.${m}`))),
      ],
    })),
    {
      title: 'overall',
      charts: [
        chart('step', 'loss'),
        chart('step', 'lossUnweighted'),
        ...SPLITS.flatMap((split) => [chart(split, 'loss'), chart(split, 'lossUnweighted')]),
        chart('step', 'lr'),
        chart('step', 'examplesPerSecond'),
      ],
    },
  ];
  return sections
    .map((s) => ({ ...s, charts: s.charts.filter((c) => keys.has(c.key)) }))
    .filter((s) => s.charts.length > 0);
}

/** One drawn line's data: every stored point of one run (or the runs of a group). */
interface Line {
  label: string;
  color: string;
  runs: string[];
  x: number[];
  raw: number[];
  smooth: Float64Array | undefined;
  /** Grouped: bucket means and spreads of the drawn view. */
  band?: { mean: Float64Array; std: Float64Array; x0: number; x1: number; buckets: number };
}

export class ChartPanel {
  readonly root = document.createElement('div');
  private plotEl = document.createElement('div');
  /** A scroll box around a fixed-layout table: a value changing relays out only this box. */
  private legendEl = document.createElement('div');
  private legendBody = document.createElement('tbody');
  private plot: uPlot | undefined;
  private layoutKey = '';
  private lines: Line[] = [];
  private visible = false;
  private dirty = true;
  private context: ChartContext | undefined;
  /** Disabled until the chart has data, so an export never silently does nothing. */
  private readonly csvButton = disabled(button('CSV', 'export-csv', () => this.exportCsv()));
  private readonly pngButton = disabled(button('PNG', 'export-png', () => this.exportPng()));
  /** The y extent of the points in view, from the drawn buckets (each holds its min and max). */
  private yRange: [number, number] = [0, 1];

  constructor(readonly spec: ChartSpec) {
    this.root.className = 'chart';
    this.root.dataset.key = spec.key;
    const header = document.createElement('div');
    header.className = 'chart-header';
    const title = document.createElement('h3');
    title.textContent = spec.title;
    header.append(title, this.csvButton, this.pngButton);
    this.plotEl.className = 'plot';
    this.legendEl.className = 'legend';
    this.legendEl.addEventListener('scroll', () => this.showValuesAt(this.shownX), { passive: true });
    const table = document.createElement('table');
    table.innerHTML =
      '<colgroup><col class="c-swatch"><col class="c-name"><col class="c-value"><col class="c-raw"><col class="c-at"></colgroup>';
    table.append(this.legendBody);
    this.legendEl.append(table);
    this.root.append(header, this.plotEl, this.legendEl);
    new IntersectionObserver((entries) => {
      this.visible = entries.some((e) => e.isIntersecting);
      if (this.visible && this.dirty && this.context) this.draw(this.context);
    }).observe(this.root);
  }

  update(context: ChartContext) {
    this.context = context;
    this.csvButton.disabled = false;
    this.pngButton.disabled = false;
    this.dirty = true;
    if (this.visible) this.draw(context);
  }

  destroy() {
    this.plot?.destroy();
    this.root.remove();
  }

  /** Smoothed copies, kept while the stored column, its length and the weight stay the same (zoom, hover). */
  private smoothCache = new WeakMap<number[], { length: number; weight: number; values: Float64Array }>();

  private smoothed(raw: number[], weight: number): Float64Array {
    const cached = this.smoothCache.get(raw);
    if (cached?.length === raw.length && cached.weight === weight) return cached.values;
    const values = debiasedEma(raw, weight);
    this.smoothCache.set(raw, { length: raw.length, weight, values });
    return values;
  }

  private collectLines(context: ChartContext): Line[] {
    const { store, state } = context;
    const { source, tag } = this.spec;
    const lineOf = (id: string) => {
      const data = store.series.get(id)?.sources.get(source);
      const raw = data?.values[tag];
      if (!data || !raw) return undefined;
      return { x: store.series.get(id)!.x(source, state.x), raw };
    };
    const smooth = (raw: number[]) => (state.smoothing > 0 ? this.smoothed(raw, state.smoothing) : undefined);
    if (context.groups) {
      return [...context.groups].flatMap(([label, ids], i) => {
        const members = ids.filter((id) => lineOf(id) !== undefined);
        if (members.length === 0) return [];
        return [{ label, color: groupColor(i), runs: members, x: [], raw: [], smooth: undefined }];
      });
    }
    return context.runs.flatMap((id) => {
      const line = lineOf(id);
      return line ? [{ label: id, color: store.color(id), runs: [id], ...line, smooth: smooth(line.raw) }] : [];
    });
  }

  private draw(context: ChartContext) {
    this.dirty = false;
    const { state, store } = context;
    this.lines = this.collectLines(context);
    const runLines = context.groups
      ? this.lines.flatMap((l) =>
          l.runs.map((id) => {
            const data = store.series.get(id)!;
            const raw = data.sources.get(this.spec.source)!.values[this.spec.tag]!;
            return {
              id,
              x: data.x(this.spec.source, state.x),
              y: state.smoothing > 0 ? this.smoothed(raw, state.smoothing) : raw,
            };
          }),
        )
      : this.lines.map((l) => ({ id: l.label, x: l.x, y: l.smooth ?? l.raw }));
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const line of runLines) {
      if (line.x.length === 0) continue;
      lo = Math.min(lo, line.x[0]!);
      hi = Math.max(hi, line.x.at(-1)!);
    }
    if (!Number.isFinite(lo)) {
      lo = 0;
      hi = 1;
    }
    if (lo === hi) {
      lo -= 0.5;
      hi += 0.5;
    }
    const [x0, x1] = state.xRange ?? [lo, hi];
    const width = Math.max(200, this.plotEl.clientWidth || 400);
    // One bucket per pixel column, plus a slot on each edge where the lines cross it.
    const buckets = Math.round(width);
    const data: (number | null)[][] = [[x0, ...slotGrid(x0, x1, buckets), x1]];
    const series: uPlot.Series[] = [{ label: state.x }];
    const bands: uPlot.Band[] = [];
    const positive = (values: (number | null)[]) => {
      if (state.logY)
        for (let i = 0; i < values.length; i++) if (values[i] !== null && values[i]! <= 0) values[i] = null;
      return values;
    };
    const slots = (y: ArrayLike<number>, x: ArrayLike<number>) => {
      const inner = new Array<number | null>(buckets * 2);
      minMaxBuckets(x, y, x0, x1, buckets, inner);
      return positive([valueAt(x, y, x0), ...inner, valueAt(x, y, x1)]);
    };
    if (context.groups) {
      for (const line of this.lines) {
        const members = runLines.filter((r) => line.runs.includes(r.id));
        const edges = [x0, x1].map((at) => {
          const values = members.map((r) => valueAt(r.x, r.y, at) ?? Number.NaN);
          return meanAndSpread(
            values.map((v) => new Float64Array([v])),
            1,
          );
        });
        const { mean, std } = meanAndSpread(
          members.map((r) => meanBuckets(r.x, r.y, x0, x1, buckets)),
          buckets,
        );
        line.band = { mean, std, x0, x1, buckets };
        const at = (f: (m: number, s: number) => number) => {
          const out = new Array<number | null>(buckets * 2 + 2).fill(null);
          for (let k = 0; k < buckets; k++) if (!Number.isNaN(mean[k]!)) out[2 * k + 1] = f(mean[k]!, std[k]!);
          const [left, right] = edges.map((e) => (Number.isNaN(e.mean[0]!) ? null : f(e.mean[0]!, e.std[0]!)));
          out[0] = left!;
          out[out.length - 1] = right!;
          return positive(out);
        };
        const base = data.length;
        data.push(
          at((m) => m),
          at((m, s) => m + s),
          at((m, s) => m - s),
        );
        series.push(
          { label: line.label, stroke: line.color, width: 2, spanGaps: true },
          { label: `${line.label} +σ`, stroke: 'transparent', spanGaps: true },
          { label: `${line.label} −σ`, stroke: 'transparent', spanGaps: true },
        );
        bands.push({ series: [base + 1, base + 2], fill: groupColor(this.lines.indexOf(line), 0.18) });
      }
    } else {
      for (const line of this.lines) {
        if (line.smooth) {
          data.push(slots(line.raw, line.x));
          series.push({
            label: `${line.label} raw`,
            stroke: context.store.color(line.label, 0.28),
            width: 1,
            spanGaps: true,
          });
        }
        data.push(slots(line.smooth ?? line.raw, line.x));
        series.push({ label: line.label, stroke: line.color, width: 1.5, spanGaps: true });
      }
    }
    this.yRange = visibleRange(data);
    const layoutKey = JSON.stringify([series.map((s) => [s.label, s.stroke]), state.logY, state.x, width]);
    if (!this.plot || layoutKey !== this.layoutKey) {
      this.plot?.destroy();
      this.layoutKey = layoutKey;
      this.plot = new uPlot(this.options(series, bands, width, context), data as uPlot.AlignedData, this.plotEl);
      this.buildLegend();
    } else {
      this.plot.setData(data as uPlot.AlignedData, false);
    }
    this.plot.setScale('x', { min: x0, max: x1 });
    this.showValuesAt(undefined);
  }

  private options(series: uPlot.Series[], bands: uPlot.Band[], width: number, context: ChartContext): uPlot.Options {
    const wallTime = context.state.x === 'wallTime';
    return {
      width,
      height: 200,
      series,
      bands,
      legend: { show: false },
      scales: {
        x: { time: false },
        y: {
          distr: context.state.logY ? 3 : 1,
          range: () => {
            const [min, max] = this.yRange;
            return context.state.logY ? uPlot.rangeLog(min, max, 10, false) : uPlot.rangeNum(min, max, 0.1, true);
          },
        },
      },
      axes: [{ values: wallTime ? (_u, splits) => splits.map(formatSeconds) : undefined, size: 30 }, { size: 56 }],
      cursor: {
        sync: { key: 'mtl-x' },
        // The legend shows every run's value; per-series cursor dots and uPlot's scan for the
        // nearest non-null slot cost a DOM node and a linear search per series per move.
        points: { show: false },
        dataIdx: (_u, _series, closest) => closest,
        focus: { prox: -1 },
        drag: { x: true, y: false, setScale: false },
        bind: {
          dblclick: () => () => {
            context.onZoom(null);
            return null;
          },
        },
      },
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width > 3) {
              const min = u.posToVal(u.select.left, 'x');
              const max = u.posToVal(u.select.left + u.select.width, 'x');
              context.onZoom([min, max]);
            }
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          },
        ],
        setCursor: [
          (u) => {
            // While a zoom is dragged out, the legends wait for its end.
            if (u.select.width > 0) return;
            const left = u.cursor.left;
            const x = left === undefined || left < 0 ? undefined : u.posToVal(left, 'x');
            // The chart under the mouse answers at once; the charts that follow it, a frame later.
            if (u.cursor.event) this.showValuesAt(x);
            else this.showValuesSoon(x);
          },
        ],
      },
    };
  }

  private buildLegend() {
    this.legendBody.replaceChildren(
      ...this.lines.map((line) => {
        const row = document.createElement('tr');
        row.dataset.line = line.label;
        row.innerHTML =
          '<td><span class="swatch"></span></td><td class="name"></td><td class="value"></td><td class="raw"></td><td class="at"></td>';
        (row.querySelector('.swatch') as HTMLElement).style.background = line.color;
        row.children[1]!.textContent = line.label;
        return row;
      }),
    );
  }

  private pendingX: number | undefined;
  private pending = false;

  private showValuesSoon(x: number | undefined) {
    this.pendingX = x;
    if (this.pending) return;
    this.pending = true;
    setTimeout(() => {
      this.pending = false;
      this.showValuesAt(this.pendingX);
    }, 60);
  }

  /** Every line's value at x (the nearest stored point); without x, each line's last point. */
  private shownX: number | undefined;
  private rowHeight = 0;

  /**
   * Fills the legend rows in the legend's scrolled view (the rest when scrolled to): with 500
   * runs, writing every row on each mouse move costs more than drawing the chart.
   */
  private showValuesAt(x: number | undefined) {
    this.shownX = x;
    const axis = this.context?.state.x ?? 'step';
    this.rowHeight ||= this.legendBody.rows[0]?.offsetHeight ?? 0;
    const rowHeight = this.rowHeight;
    const first = rowHeight > 0 ? Math.max(0, Math.floor(this.legendEl.scrollTop / rowHeight) - 2) : 0;
    const last = rowHeight > 0 ? first + Math.ceil(this.legendEl.clientHeight / rowHeight) + 4 : this.lines.length;
    this.lines.forEach((line, i) => {
      const row = this.legendBody.rows[i];
      if (!row || i < first || i > last) return;
      const cells = row.children;
      if (line.band) {
        const { mean, std, x0, x1, buckets } = line.band;
        let k = x === undefined ? buckets - 1 : Math.floor(((x - x0) / (x1 - x0)) * buckets);
        if (x === undefined) while (k > 0 && Number.isNaN(mean[k]!)) k--;
        cells[2]!.textContent = `${formatValue(mean[k])} ± ${formatValue(std[k])}`;
        cells[3]!.textContent = `n=${line.runs.length}`;
        cells[4]!.textContent = '';
        return;
      }
      const n = line.x.length;
      if (n === 0) return;
      let at = n - 1;
      if (x !== undefined) {
        at = Math.min(n - 1, lowerBound(line.x, x));
        if (at > 0 && Math.abs(line.x[at - 1]! - x) <= Math.abs(line.x[at]! - x)) at--;
      }
      cells[2]!.textContent = formatValue(line.smooth ? line.smooth[at] : line.raw[at]);
      cells[3]!.textContent = line.smooth ? `raw ${formatValue(line.raw[at])}` : '';
      cells[4]!.textContent = `${axis === 'wallTime' ? formatSeconds(line.x[at]!) : `${axis} ${+line.x[at]!.toFixed(3)}`}`;
    });
  }

  /** Every stored point of every line (never the screen's downsampled view). */
  private exportCsv() {
    const context = this.context;
    if (!context) return;
    const rows: (string | number)[][] = [['run', 'source', 'tag', 'step', 'epoch', 'wallTime', 'value']];
    const ids = context.groups ? [...context.groups.values()].flat() : context.runs;
    for (const id of ids) {
      const data = context.store.series.get(id)?.sources.get(this.spec.source);
      const values = data?.values[this.spec.tag];
      if (!data || !values) continue;
      for (let i = 0; i < values.length; i++) {
        rows.push([id, this.spec.source, this.spec.tag, data.step[i]!, data.epoch[i]!, data.wallTime[i]!, values[i]!]);
      }
    }
    downloadBlob(new Blob([toCsv(rows)], { type: 'text/csv' }), `${this.spec.key.replace(/[/.]/g, '_')}.csv`);
  }

  private exportPng() {
    // A chart scrolled into view may not have been drawn yet: its observer runs later.
    if ((!this.plot || this.dirty) && this.context) this.draw(this.context);
    if (!this.plot) return;
    const source = this.plot.ctx.canvas;
    const canvas = document.createElement('canvas');
    canvas.width = source.width;
    canvas.height = source.height + 30;
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = '#111';
    ctx.font = '16px sans-serif';
    ctx.fillText(this.spec.title, 8, 20);
    ctx.drawImage(source, 0, 30);
    canvas.toBlob((blob) => blob && downloadBlob(blob, `${this.spec.key.replace(/[/.]/g, '_')}.png`), 'image/png');
  }
}

/** Min and max of every drawn series (the slots hold each bucket's extremes and the edge crossings). */
function visibleRange(data: (number | null)[][]): [number, number] {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let s = 1; s < data.length; s++) {
    for (const v of data[s]!) {
      if (v === null || v === undefined) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (!Number.isFinite(min)) return [0, 1];
  return min === max ? [min - Math.abs(min) * 0.1 - 1e-9, max + Math.abs(max) * 0.1 + 1e-9] : [min, max];
}

const groupColor = (i: number, alpha = 1) => `hsla(${(i * 137.508 + 200) % 360}, 75%, 40%, ${alpha})`;

export function button(label: string, name: string, onClick: () => void): HTMLButtonElement {
  const element = document.createElement('button');
  element.type = 'button';
  element.textContent = label;
  element.dataset.action = name;
  element.addEventListener('click', onClick);
  return element;
}

function disabled(element: HTMLButtonElement): HTMLButtonElement {
  element.disabled = true;
  return element;
}

/** The chart grid: panels kept across updates (so zoom and scroll survive), lazily drawn. */
export class ChartGrid {
  private panels = new Map<string, ChartPanel>();
  private layout = '';

  constructor(private readonly container: HTMLElement) {}

  update(context: ChartContext, sections: ChartSection[]) {
    const filter = context.state.tags.trim().toLowerCase();
    const shown = sections
      .map((s) => ({ ...s, charts: s.charts.filter((c) => filter === '' || c.title.toLowerCase().includes(filter)) }))
      .filter((s) => s.charts.length > 0);
    const layout = JSON.stringify(shown.map((s) => [s.title, s.charts.map((c) => c.key)]));
    if (layout !== this.layout) {
      this.layout = layout;
      const keep = new Set(shown.flatMap((s) => s.charts.map((c) => c.key)));
      for (const [key, panel] of this.panels) {
        if (!keep.has(key)) {
          panel.destroy();
          this.panels.delete(key);
        }
      }
      this.container.replaceChildren(
        ...shown.map((section) => {
          const element = document.createElement('section');
          element.className = 'chart-section';
          element.dataset.section = section.title;
          const heading = document.createElement('h2');
          heading.textContent = section.title;
          const grid = document.createElement('div');
          grid.className = 'chart-grid';
          for (const spec of section.charts) {
            let panel = this.panels.get(spec.key);
            if (!panel) {
              panel = new ChartPanel(spec);
              this.panels.set(spec.key, panel);
            }
            grid.append(panel.root);
          }
          element.append(heading, grid);
          return element;
        }),
      );
    }
    for (const panel of this.panels.values()) panel.update(context);
  }
}
