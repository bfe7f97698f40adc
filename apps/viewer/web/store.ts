import type { RunListing } from '../src/index.js';

/** One source of a run as the page holds it: every stored point (null where absent). */
export interface SourceData {
  step: number[];
  epoch: number[];
  wallTime: number[];
  values: Record<string, number[]>;
}

export type XAxis = 'step' | 'epoch' | 'wallTime';

/** Every point of one run the page has fetched, appended to as the run goes on. */
export class RunSeries {
  records = 0;
  sources = new Map<string, SourceData>();
  private epochAxis = new Map<string, { rows: number; xs: number[] }>();

  append(records: number, sources: Record<string, SourceData>) {
    for (const [name, incoming] of Object.entries(sources)) {
      let data = this.sources.get(name);
      if (!data) {
        data = { step: [], epoch: [], wallTime: [], values: {} };
        this.sources.set(name, data);
      }
      const before = data.step.length;
      push(data.step, incoming.step);
      push(data.epoch, incoming.epoch);
      push(data.wallTime, incoming.wallTime);
      for (const [tag, column] of Object.entries(incoming.values)) {
        data.values[tag] ??= new Array<number>(before).fill(Number.NaN);
        push(
          data.values[tag],
          column.map((v) => (v === null ? Number.NaN : v)),
        );
      }
      for (const column of Object.values(data.values)) {
        while (column.length < data.step.length) column.push(Number.NaN);
      }
    }
    this.records = records;
  }

  /**
   * The x of each row. By epoch, an eval sits at its epoch and a step at its fraction of
   * the epoch (the last, unfinished epoch is measured by the one before).
   */
  x(source: string, axis: XAxis): number[] {
    const data = this.sources.get(source)!;
    if (axis === 'step') return data.step;
    if (axis === 'wallTime') return data.wallTime;
    if (source !== 'step') return data.epoch;
    const cached = this.epochAxis.get(source);
    if (cached?.rows === data.step.length) return cached.xs;
    const counts = new Map<number, number>();
    for (const e of data.epoch) counts.set(e, (counts.get(e) ?? 0) + 1);
    const lastEpoch = data.epoch.at(-1);
    const previous = lastEpoch === undefined ? undefined : counts.get(lastEpoch - 1);
    if (lastEpoch !== undefined && previous !== undefined)
      counts.set(lastEpoch, Math.max(counts.get(lastEpoch)!, previous));
    const xs: number[] = [];
    let seen = 0;
    for (let i = 0; i < data.epoch.length; i++) {
      const e = data.epoch[i]!;
      seen = i > 0 && data.epoch[i - 1] === e ? seen + 1 : 1;
      xs.push(e - 1 + seen / counts.get(e)!);
    }
    this.epochAxis.set(source, { rows: data.step.length, xs });
    return xs;
  }
}

function push(target: number[], items: number[]) {
  // Spread of a long array overflows the stack; push in slices.
  for (let i = 0; i < items.length; i += 10_000) target.push(...items.slice(i, i + 10_000));
}

/** The page's copy of the runs folder. */
export class Store {
  listings = new Map<string, RunListing>();
  series = new Map<string, RunSeries>();
  runsDir = '';
  private order = new Map<string, number>();

  ids(): string[] {
    return [...this.order.keys()];
  }

  /** A stable colour per run: its place in the sorted list of every run, golden-angle hues. */
  color(id: string, alpha = 1): string {
    const index = this.order.get(id) ?? 0;
    return `hsla(${(index * 137.508) % 360}, 70%, 42%, ${alpha})`;
  }

  async loadRuns(ids?: string[]) {
    const query = ids ? `?ids=${ids.map(encodeURIComponent).join(',')}` : '';
    const body = (await getJson(`api/runs${query}`)) as { runsDir: string; runs: RunListing[] };
    this.runsDir = body.runsDir;
    if (!ids) this.listings.clear();
    for (const run of body.runs) this.listings.set(run.id, run);
    for (const id of ids ?? []) if (!body.runs.some((r) => r.id === id)) this.listings.delete(id);
    this.order = new Map([...this.listings.keys()].sort().map((id, i) => [id, i]));
  }

  /** Fetches what each run has beyond what is held; six requests at a time. */
  async loadSeries(ids: string[]) {
    const queue = ids.filter((id) => {
      const held = this.series.get(id)?.records ?? 0;
      return this.listings.has(id) && (this.listings.get(id)!.records > held || !this.series.has(id));
    });
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        const series = this.series.get(id) ?? new RunSeries();
        type Body = { records: number; from: number; sources: Record<string, SourceData> };
        // A run that vanished since the listing is skipped; the next listing drops it.
        const body = (await getJson(`api/runs/${encodeURIComponent(id)}/metrics?from=${series.records}`).catch(
          () => undefined,
        )) as Body | undefined;
        if (!body) continue;
        // A run rewritten from scratch: start over.
        if (body.records < series.records) {
          this.series.delete(id);
          queue.push(id);
          continue;
        }
        series.append(body.records, body.sources);
        this.series.set(id, series);
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
  }
}

export async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  const body = await response.json();
  if (!response.ok) throw new Error((body as { error?: string }).error ?? `${url}: HTTP ${response.status}`);
  return body;
}
