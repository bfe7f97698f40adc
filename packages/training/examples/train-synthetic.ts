// The README's example: generate a small synthetic corpus, train a compact multi-task run
// with the paper's dynamic weights, stop cleanly on Ctrl-C, and read the run folder back.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initBackend } from '@mtl/backend';
import { generateSyntheticCorpus, loadSynthetic, writeManifest } from '@mtl/datasets';
import { stopOnSignals, train } from '@mtl/training';
import { readRun } from '@mtl/training/run-store';

await initBackend({ backend: 'wasm' });
const root = await mkdtemp(path.join(tmpdir(), 'mtl-training-example-'));
await generateSyntheticCorpus({ root: path.join(root, 'corpus'), speakers: 6, clipsPerEmotion: 2, duration: 1 });
const manifest = path.join(root, 'manifest.json');
await writeManifest(manifest, await loadSynthetic(path.join(root, 'corpus')));

const stop = stopOnSignals(); // SIGINT/SIGTERM: finish the step, write `last`, return 'interrupted'
const result = await train(
  {
    data: { manifest, cacheDir: path.join(root, 'cache') },
    model: { preset: 'compact', modal: 'multi' },
    weighting: { method: 'softmax' }, // any @mtl/dynamic-loss strategy by name and options
    training: { epochs: 3, batchSize: 4, lr: 1e-3 },
  },
  {
    runsDir: path.join(root, 'runs'),
    signal: stop.signal,
    onProgress: (event) => {
      if (event.kind === 'step')
        console.log(`epoch ${event.epoch} batch ${event.batch}/${event.batches} loss ${event.loss.toFixed(3)}`);
      if (event.kind === 'eval')
        console.log(`${event.record.split}: joint NLL ${event.record.lossUnweighted.toFixed(3)}`);
    },
  },
);
stop.dispose();
if (result.status === 'interrupted') {
  console.error(`interrupted; continue with: ${result.resumeCommand}`);
  process.exit(stop.exitCode());
}
const run = await readRun(result.runDir);
console.log(result.runDir, run.summary?.final?.test?.tasks.emotion?.ua);
