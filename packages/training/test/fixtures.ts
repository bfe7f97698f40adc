import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initBackend } from '@mtl/backend';
import { generateSyntheticCorpus, loadSynthetic, writeManifest } from '@mtl/datasets';
import type { TrainConfig } from '../src/index.js';

export interface Corpus {
  root: string;
  manifest: string;
  cacheDir: string;
}

/**
 * A tiny synthetic corpus (4 speakers x 4 emotions x 1 clip of about 0.6 s at 10 fps, 32x32
 * video), written once per test file; each caller gets its own cache unless it shares one.
 */
export async function tinyCorpus(options: { video?: boolean } = {}): Promise<Corpus> {
  const root = await mkdtemp(path.join(tmpdir(), 'mtl-training-'));
  await generateSyntheticCorpus({
    root: path.join(root, 'corpus'),
    seed: 3,
    speakers: 4,
    clipsPerEmotion: 1,
    duration: 0.6,
    fps: 10,
    frameSize: 32,
    video: options.video ?? true,
  });
  const manifest = await loadSynthetic(path.join(root, 'corpus'));
  const file = path.join(root, 'manifest.json');
  await writeManifest(file, manifest);
  const cacheDir = path.join(root, 'cache');
  await mkdir(cacheDir, { recursive: true });
  return { root, manifest: file, cacheDir };
}

export async function wasm(): Promise<void> {
  await initBackend({ backend: 'wasm' });
}

/** A small multi-task run on the corpus: compact preset, paper's random split, 2 epochs of batches of 3. */
export function tinyRun(corpus: Corpus, seed: number): TrainConfig {
  return {
    data: { manifest: corpus.manifest, cacheDir: corpus.cacheDir },
    split: { name: 'random' },
    seed,
    model: { preset: 'compact', modal: 'multi' },
    weighting: { method: 'softmax' },
    training: { epochs: 2, batchSize: 3, lr: 1e-3 },
  };
}
