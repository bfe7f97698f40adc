/** Everything the page shows, kept in the URL (so a view can be shared or reloaded). */
export interface ViewState {
  tab: 'scalars' | 'confusion' | 'media' | 'experiments';
  /** Runs drawn on the charts; null until the user picks (then a default set is drawn). */
  selected: string[] | null;
  x: 'step' | 'epoch' | 'wallTime';
  smoothing: number;
  logY: boolean;
  groupBy: string;
  filter: string;
  tags: string;
  /** Stat columns of the runs table, as `<source>/<tag>`; null: the default ones. */
  columns: string[] | null;
  sort: string;
  /** The zoomed x range, shared by every chart. */
  xRange: [number, number] | null;
  run: string;
  task: string;
  split: string;
  epoch: number | null;
  normalise: boolean;
  misclassified: boolean;
  clip: string;
}

export const DEFAULT_STATE: ViewState = {
  tab: 'scalars',
  selected: null,
  x: 'step',
  smoothing: 0.6,
  logY: false,
  groupBy: '',
  filter: '',
  tags: '',
  columns: null,
  sort: '',
  xRange: null,
  run: '',
  task: '',
  split: 'validation',
  epoch: null,
  normalise: false,
  misclassified: false,
  clip: '',
};

const TABS = ['scalars', 'confusion', 'media', 'experiments'] as const;
const AXES = ['step', 'epoch', 'wallTime'] as const;

export function encodeState(state: ViewState): string {
  const params = new URLSearchParams();
  const put = (key: string, value: string, fallback: string) => {
    if (value !== fallback) params.set(key, value);
  };
  put('tab', state.tab, DEFAULT_STATE.tab);
  if (state.selected) params.set('runs', state.selected.join(','));
  put('x', state.x, DEFAULT_STATE.x);
  put('smooth', String(state.smoothing), String(DEFAULT_STATE.smoothing));
  put('log', state.logY ? '1' : '', '');
  put('group', state.groupBy, '');
  put('filter', state.filter, '');
  put('tags', state.tags, '');
  if (state.columns) params.set('cols', state.columns.join(','));
  put('sort', state.sort, '');
  if (state.xRange) params.set('xr', state.xRange.map((v) => +v.toPrecision(8)).join(','));
  put('run', state.run, '');
  put('task', state.task, '');
  put('split', state.split, DEFAULT_STATE.split);
  if (state.epoch !== null) params.set('epoch', String(state.epoch));
  put('norm', state.normalise ? '1' : '', '');
  put('mis', state.misclassified ? '1' : '', '');
  put('clip', state.clip, '');
  return params.toString();
}

export function decodeState(search: string): ViewState {
  const params = new URLSearchParams(search);
  const state = { ...DEFAULT_STATE };
  const tab = params.get('tab');
  if ((TABS as readonly string[]).includes(tab ?? '')) state.tab = tab as ViewState['tab'];
  const runs = params.get('runs');
  if (runs !== null) state.selected = runs === '' ? [] : runs.split(',');
  const x = params.get('x');
  if ((AXES as readonly string[]).includes(x ?? '')) state.x = x as ViewState['x'];
  const smooth = Number(params.get('smooth'));
  if (params.has('smooth') && smooth >= 0 && smooth < 1) state.smoothing = smooth;
  state.logY = params.get('log') === '1';
  state.groupBy = params.get('group') ?? '';
  state.filter = params.get('filter') ?? '';
  state.tags = params.get('tags') ?? '';
  const cols = params.get('cols');
  if (cols !== null) state.columns = cols === '' ? [] : cols.split(',');
  state.sort = params.get('sort') ?? '';
  const range = params.get('xr')?.split(',').map(Number);
  if (range?.length === 2 && range.every(Number.isFinite) && range[0]! < range[1]!)
    state.xRange = [range[0]!, range[1]!];
  state.run = params.get('run') ?? '';
  state.task = params.get('task') ?? '';
  state.split = params.get('split') ?? DEFAULT_STATE.split;
  const epoch = Number(params.get('epoch'));
  if (params.has('epoch') && Number.isInteger(epoch)) state.epoch = epoch;
  state.normalise = params.get('norm') === '1';
  state.misclassified = params.get('mis') === '1';
  state.clip = params.get('clip') ?? '';
  return state;
}
