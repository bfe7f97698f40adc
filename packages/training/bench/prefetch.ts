// Examples/s of a compact multi-task run on the synthetic corpus with and without the
// loader's prefetch thread, and the loader's share of step time, measured in one process.
// Usage: pnpm --filter @mtl/training bench  [-- --speakers 8 --epochs 3 --batch 4 --duration 2 --rounds 3]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '@mtl/backend';
import { generateSyntheticCorpus, loadSynthetic, writeManifest } from '@mtl/datasets';
import { readMetrics, type StepRecord, train } from '../src/index.js';

const { values } = parseArgs({
  // pnpm passes a `--` through.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    speakers: { type: 'string', default: '8' },
    epochs: { type: 'string', default: '3' },
    batch: { type: 'string', default: '4' },
    duration: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
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

  const measure = async (prefetch: boolean, round: number) => {
    const base = config(prefetch);
    const result = await train({ ...base, id: `${base.id}-${round}` }, { runsDir: path.join(root, 'runs') });
    const steps = (await readMetrics(result.runDir)).records.filter((r): r is StepRecord => r.kind === 'step');
    const totals = (list: StepRecord[]) => {
      const seconds = list.reduce((sum, s) => sum + (s.batchSize ?? 0) / s.examplesPerSecond, 0);
      const examples = list.reduce((sum, s) => sum + (s.batchSize ?? 0), 0);
      const waited = list.reduce((sum, s) => sum + (s.waitSeconds ?? 0), 0);
      return { examplesPerSecond: examples / seconds, loaderShare: waited / seconds };
    };
    // An epoch's first batch cannot be prefetched (it follows the evaluation): shown apart.
    const steady = steps.filter((s, i) => i > 0 && steps[i - 1]!.epoch === s.epoch);
    const firsts = steps.filter((s, i) => i === 0 || steps[i - 1]!.epoch !== s.epoch).map((s) => s.waitSeconds ?? 0);
    return { all: totals(steps), steady: totals(steady), steps: steps.length, firsts };
  };
  // Runs alternate (without, with, without, with, ...) so a change in the machine's load hits both alike.
  const rounds = Number(values.rounds);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const seconds = (list: number[]) => list.map((x) => x.toFixed(3)).join(', ');
  const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
  const speedUps: Record<'all' | 'steady', number[]> = { all: [], steady: [] };
  for (let round = 1; round <= rounds; round++) {
    const without = await measure(false, round);
    const withPrefetch = await measure(true, round);
    console.log(
      `round ${round}: ${without.steps} steps of ${values.batch} clips per run; wait for each epoch's first batch (s): without ${seconds(without.firsts)}; with ${seconds(withPrefetch.firsts)}`,
    );
    for (const key of ['all', 'steady'] as const) {
      const ratio = withPrefetch[key].examplesPerSecond / without[key].examplesPerSecond;
      speedUps[key].push(ratio);
      console.log(
        `  ${key === 'all' ? 'every step   ' : 'steady steps '} without: ${without[key].examplesPerSecond.toFixed(2)} examples/s, loader ${pct(without[key].loaderShare)}; with: ${withPrefetch[key].examplesPerSecond.toFixed(2)} examples/s, loader ${pct(withPrefetch[key].loaderShare)}; x${ratio.toFixed(2)}`,
      );
    }
  }
  console.log(
    `backend ${backend.name}, compact multi; prefetch speed-up, median of ${rounds} rounds: every step x${median(speedUps.all).toFixed(2)}, steady steps (not an epoch's first) x${median(speedUps.steady).toFixed(2)}`,
  );
} finally {
  await rm(root, { recursive: true, force: true });
}
