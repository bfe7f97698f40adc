import { choice, decimal, flag, integer, keyValues, path, text } from './option-types.js';
import { WEIGHTING_NAMES } from './weighting.js';

export const MODAL_CHOICES = ['audio', 'video', 'multi'] as const;
export const PRESET_CHOICES = ['compact', 'paper'] as const;
export const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export const SPLIT_CHOICES = ['standard', 'random'] as const;
export const SCHEDULE_CHOICES = ['constant', 'step', 'cosine'] as const;

/**
 * The options of one training run, shared by `train`, `experiment` (for every cell) and the
 * grid file's `train:` section: one declaration, one set of checks and help lines.
 */
export const runOptions = {
  preset: choice("model preset: compact (CPU, minutes) or paper (the paper's sizes, GPU work)", PRESET_CHOICES, {
    default: 'compact',
  }),
  backend: choice('tfjs backend: tensorflow needs tfjs-node installed; auto picks it, else wasm', BACKEND_CHOICES, {
    default: 'auto',
  }),
  threads: integer('wasm threads', { min: 1, defaultDoc: 'one per core' }),
  framesPerChunk: integer(
    "frames the ResNet takes at a time; training recomputes each chunk in the backward pass and batch norm uses each chunk's statistics (the paper preset on wasm needs 10 for 6 s clips)",
    { min: 1, defaultDoc: 'all frames at once' },
  ),
  split: choice(
    "standard: the corpus's speaker-independent folds (IEMOCAP leave-one-session-out, ...); random: the paper's seeded 60/20/20 of clips (speaker-dependent)",
    SPLIT_CHOICES,
    { default: 'standard' },
  ),
  epochs: integer('training epochs', { default: 30, min: 1 }),
  batchSize: integer('clips per batch', { default: 8, min: 1 }),
  lr: decimal('Adam learning rate', { default: 1e-3, min: 0, exclusiveMin: true }),
  schedule: choice(
    "learning-rate schedule: constant; step (x0.1 every 10 epochs, the paper's); cosine (down to lr/20 at the last epoch)",
    SCHEDULE_CHOICES,
    { default: 'cosine' },
  ),
  clipNorm: decimal('clip the global gradient norm to this (the paper: 1); 0 for none', { default: 1, min: 0 }),
  patience: integer('stop after this many epochs without a better validation joint NLL; 0 never stops early', {
    default: 0,
    min: 0,
  }),
};

export const trainOptions = {
  data: path('prepared data folder (from `mtl-trainer prepare`); required unless --resume', { value: 'DIR' }),
  modal: choice('input streams', MODAL_CHOICES, { default: 'multi' }),
  weighting: choice('joint-loss weighting method (all listed below)', WEIGHTING_NAMES, { default: 'softmax' }),
  weightingOption: keyValues('an option of the weighting method (repeatable; see the list below)'),
  ...runOptions,
  fold: integer('fold of the split, from 0', { default: 0, min: 0 }),
  seed: integer("seeds the model, the data order and the split's validation speakers", { default: 1 }),
  out: path('runs folder; the run is written to OUT/RUN-ID', { value: 'DIR', default: 'runs' }),
  runId: text('name of the run folder', { value: 'ID', defaultDoc: 'modal-weighting-date' }),
  resume: path('continue this interrupted run from its last checkpoint (its config; other flags ignored)', {
    value: 'RUN',
    cliOnly: true,
  }),
  json: flag('print the summary as JSON', { cliOnly: true }),
};
