// Generates the default synthetic corpus, loads it like any corpus, and prints its standard
// split. Usage: pnpm example [output folder] (default: a temporary folder).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSyntheticCorpus, loadCorpus, standardSplit, writeManifest } from '../src/index.js';

const root = process.argv[2] ?? (await mkdtemp(join(tmpdir(), 'mtl-synthetic-')));
const started = Date.now();
const corpus = await generateSyntheticCorpus({ root, seed: 1 });
console.log(`wrote ${corpus.clips.length} clips to ${root} in ${((Date.now() - started) / 1000).toFixed(1)} s`);

const manifest = await loadCorpus(root); // prints the summary
await writeManifest(join(root, 'manifest.json'), manifest);
const plan = standardSplit(manifest, { seed: 1 });
for (const fold of plan.folds) {
  console.log(
    `${fold.name}: train ${fold.trainSpeakers.join(' ')} | validation ${fold.validationSpeakers.join(' ')} | test ${fold.testSpeakers.join(' ')}`,
  );
}
