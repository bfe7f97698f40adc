// Examples/s of a compact multi-task run on the synthetic corpus with and without the
// loader's prefetch thread, and the loader's share of step time, measured in one process.
// Usage: pnpm --filter @mtl/training bench  [-- --speakers 8 --epochs 2 --batch 4]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '@mtl/backend';
import { generateSyntheticCorpus, loadSynthetic, writeManifest } from '@mtl/datasets';
import { readMetrics, type StepRecord, train } from '../src/index.js';

const { values } = parseArgs({
  options: {
    speakers: { type: 'string', default: '8' },
    epochs: { type: 'string', default: '3' },
    batch: { type: 'string', default: '4' },
    duration: { type: 'string', default: '2' },
  },
});
const backend = await initBackend({ backend: 'wasm' });
const root = await mkdtemp(path.join(tmpdir(), 'mtl-training-bench-'));
try {
  const corpusDir = path.join(root, 'corpus');
  await generateSyntheticCorpus({
    root: corpusDir,
    seed: 1,
    speakers: Number(values.speakers),
    clipsPerEmotion: 2,
    duration: Number(values.duration),
    fps: 10,
    frameSize: 32,
  });
  const manifest = path.join(root, 'manifest.json');
  await writeManifest(manifest, await loadSynthetic(corpusDir));
  const config = (prefetch: boolean) => ({
    id: prefetch ? 'prefetch' : 'no-prefetch',
    data: { manifest, cacheDir: path.join(root, 'cache') },
    split: { name: 'random' as const },
    seed: 1,
    model: { preset: 'compact' as const, modal: 'multi' as const },
    weighting: { method: 'softmax' },
    training: { epochs: Number(values.epochs), batchSize: Number(values.batch), lr: 1e-4, prefetch },
  });
  // Fills the clip cache and warms the kernels, so neither measured run pays for them.
  await train(
    { ...config(false), id: 'warm-up', training: { ...config(false).training, epochs: 1 } },
    { runsDir: path.join(root, 'runs') },
  );

  const measure = async (prefetch: boolean) => {
    const result = await train(config(prefetch), { runsDir: path.join(root, 'runs') });
    const steps = (await readMetrics(result.runDir)).records.filter((r): r is StepRecord => r.kind === 'step');
    const totals = (list: StepRecord[]) => {
      const seconds = list.reduce((sum, s) => sum + (s.batchSize ?? 0) / s.examplesPerSecond, 0);
      const examples = list.reduce((sum, s) => sum + (s.batchSize ?? 0), 0);
      const waited = list.reduce((sum, s) => sum + (s.waitSeconds ?? 0), 0);
      return { examplesPerSecond: examples / seconds, loaderShare: waited / seconds };
    };
    // An epoch's first batch cannot be prefetched (it follows the evaluation): shown apart.
    const steady = steps.filter((s, i) => i > 0 && steps[i - 1]!.epoch === s.epoch);
    return { all: totals(steps), steady: totals(steady), steps: steps.length };
  };
  const without = await measure(false);
  const withPrefetch = await measure(true);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const line = (label: string, m: { examplesPerSecond: number; loaderShare: number }) =>
    `${label}${m.examplesPerSecond.toFixed(2)} examples/s, loader ${pct(m.loaderShare)} of step time`;
  console.log(
    `backend ${backend.name}; compact multi, ${without.steps} steps of ${values.batch} clips (${values.duration} s, 10 fps, 32x32) per run`,
  );
  for (const key of ['all', 'steady'] as const) {
    const label = key === 'all' ? 'every step' : "without each epoch's first step";
    console.log(`${label}:`);
    console.log(line('  without prefetch: ', without[key]));
    console.log(line('  with prefetch:    ', withPrefetch[key]));
    console.log(`  speed-up: x${(withPrefetch[key].examplesPerSecond / without[key].examplesPerSecond).toFixed(2)}`);
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
