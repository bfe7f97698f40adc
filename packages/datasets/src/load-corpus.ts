import { join } from 'node:path';
import { isDirectory, listFolder } from './corpus-files.js';
import { type CremaDOptions, loadCremaD } from './crema-d.js';
import { type IemocapOptions, loadIemocap } from './iemocap.js';
import type { CorpusName, Manifest } from './manifest.js';
import { CorpusError, requireCorpusRoot } from './manifest-builder.js';
import { loadRavdess, type RavdessOptions } from './ravdess.js';
import { SYNTHETIC_LABELS_FILE } from './synthetic/generate-corpus.js';
import { loadSynthetic } from './synthetic/load-synthetic.js';

export type CorpusOptions = IemocapOptions & RavdessOptions & CremaDOptions & { corpus?: CorpusName };

/** Which corpus a folder holds, from the files each publisher ships; undefined when none fits. */
export async function detectCorpus(root: string): Promise<CorpusName | undefined> {
  const names = await listFolder(root);
  if (names.includes(SYNTHETIC_LABELS_FILE) && names.includes('corpus.json')) return 'synthetic';
  if (names.includes('VideoDemographics.csv')) return 'crema-d';
  if (names.some((n) => /^Session[1-5]$/.test(n)) || (await isDirectory(join(root, 'IEMOCAP_full_release'))))
    return 'iemocap';
  if (names.some((n) => /^(Actor_\d{2}|Audio_(Speech|Song)_Actors_01-24|Video_(Speech|Song)_Actor_\d{2})$/.test(n)))
    return 'ravdess';
  return undefined;
}

/** Loads a corpus folder with the matching loader (`options.corpus` overrides detection). */
export async function loadCorpus(root: string, options: CorpusOptions = {}): Promise<Manifest> {
  const { corpus: chosen, ...rest } = options;
  await requireCorpusRoot(root);
  const corpus = chosen ?? (await detectCorpus(root));
  switch (corpus) {
    case 'iemocap':
      return loadIemocap(root, rest);
    case 'ravdess':
      return loadRavdess(root, rest);
    case 'crema-d':
      return loadCremaD(root, rest);
    case 'synthetic':
      return loadSynthetic(root, rest);
    default:
      throw new CorpusError(
        root,
        'not a known corpus folder: expected IEMOCAP (Session1-5), RAVDESS (Actor_NN folders), CREMA-D (VideoDemographics.csv) or a synthetic corpus (labels.csv + corpus.json); pass options.corpus to choose',
      );
  }
}
