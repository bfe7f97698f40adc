// Writes the test fixture (4 runs, an experiment, a real clip cache of 8 synthetic clips)
// into a folder, to try the viewer without training anything:
//   pnpm --filter mtl-viewer fixtures /tmp/demo && pnpm viewer --runs /tmp/demo/runs
import { resolve } from 'node:path';
import { writeFixture } from '../test/fixture-runs.js';

const target = process.argv[2];
if (!target) {
  console.error('usage: pnpm --filter mtl-viewer fixtures DIR');
  process.exit(2);
}
const fixture = await writeFixture(resolve(process.env.INIT_CWD ?? process.cwd(), target));
console.log(`fixture runs in ${fixture.runsDir}, experiments in ${fixture.experimentsDir}`);
