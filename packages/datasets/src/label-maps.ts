import cremaD from './labels/crema-d.json';
import iemocap from './labels/iemocap.json';
import ravdess from './labels/ravdess.json';
import synthetic from './labels/synthetic.json';
import type { CorpusName } from './manifest.js';

/** One way of turning a corpus's emotion codes into training classes. */
export interface EmotionMap {
  description: string;
  /** Class names in index order. */
  classes: string[];
  /** Corpus code -> class name; codes absent here are left out of the manifest. */
  codes: Record<string, string>;
}

/** What every corpus's label file (src/labels/*.json) holds. */
export interface CorpusLabels {
  corpus: CorpusName;
  source: string;
  /** Every emotion code the corpus uses -> its meaning; a code not listed here is an error in the data. */
  codes: Record<string, string>;
  defaultMap: string;
  maps: Record<string, EmotionMap>;
}

export const IEMOCAP_LABELS = iemocap as CorpusLabels & typeof iemocap;
export const RAVDESS_LABELS = ravdess as CorpusLabels & typeof ravdess;
export const CREMA_D_LABELS = cremaD as CorpusLabels & typeof cremaD;
export const SYNTHETIC_LABELS = synthetic as CorpusLabels & typeof synthetic;

const LABELS: Record<CorpusName, CorpusLabels> = {
  iemocap: IEMOCAP_LABELS,
  ravdess: RAVDESS_LABELS,
  'crema-d': CREMA_D_LABELS,
  synthetic: SYNTHETIC_LABELS,
};

/** The label data of a corpus: its codes and the emotion maps it offers. */
export function corpusLabels(corpus: CorpusName): CorpusLabels {
  const labels = LABELS[corpus];
  if (!labels) throw new Error(`unknown corpus '${corpus}': expected one of ${Object.keys(LABELS).join(', ')}`);
  return labels;
}

/** The named emotion map of a corpus (its default when `name` is omitted), with a clear error for an unknown name. */
export function emotionMap(corpus: CorpusName, name?: string): { name: string; map: EmotionMap } {
  const labels = corpusLabels(corpus);
  const chosen = name ?? labels.defaultMap;
  const map = labels.maps[chosen];
  if (!map) {
    throw new Error(
      `option emotionMap: '${chosen}' is not an emotion map of ${corpus}; choose one of ${Object.keys(labels.maps).join(', ')}`,
    );
  }
  return { name: chosen, map };
}
