export { type CremaDOptions, loadCremaD } from './crema-d.js';
export { type IemocapOptions, loadIemocap } from './iemocap.js';
export {
  type CorpusLabels,
  CREMA_D_LABELS,
  corpusLabels,
  type EmotionMap,
  emotionMap,
  IEMOCAP_LABELS,
  RAVDESS_LABELS,
  SYNTHETIC_LABELS,
} from './label-maps.js';
export { type CorpusOptions, detectCorpus, loadCorpus } from './load-corpus.js';
export { formatSummary, type ManifestSummary, summarizeManifest } from './load-summary.js';
export {
  type AudioSource,
  CORPUS_NAMES,
  type CorpusName,
  type EmotionLabel,
  GENDER_CLASSES,
  type Gender,
  type Manifest,
  type ManifestEntry,
  ManifestError,
  mediaPath,
  readManifest,
  SKIP_KINDS,
  type SkipKind,
  type SkippedItem,
  type TimeRange,
  type VideoSource,
  validateManifest,
  writeManifest,
} from './manifest.js';
export { CorpusError, type LoadOptions, type Modality } from './manifest-builder.js';
export { toMediaClip } from './media-clip.js';
export { checkMediaFile, type MediaProblem } from './media-file.js';
export { loadRavdess, type RavdessOptions } from './ravdess.js';
export {
  leaveOneSessionOut,
  randomSplit,
  ravdessActorFolds,
  type SpeakerSplitOptions,
  type SplitFold,
  type SplitPlan,
  speakerFolds,
  standardSplit,
} from './splits.js';
export {
  generateSyntheticCorpus,
  type SyntheticClip,
  type SyntheticCorpus,
  type SyntheticCorpusOptions,
} from './synthetic/generate-corpus.js';
export { loadSynthetic } from './synthetic/load-synthetic.js';
export { encodeWav } from './wav-writer.js';
