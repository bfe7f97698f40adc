// Runs `preprocess` in its own process, as a second corpus run (or a run to kill) would.
// argv: cacheDir, clips JSON file, mode: 'one-by-one' (a preprocess call per clip, each
// updating the index) or 'stall-after:<n>' (write <cacheDir>.stalled after n clips, then hang).
import { readFileSync, writeFileSync } from 'node:fs';
import { type MediaClip, preprocess } from '../../src/index.js';

const [cacheDir, clipsFile, mode] = process.argv.slice(2) as [string, string, string];
const clips = JSON.parse(readFileSync(clipsFile, 'utf8')) as MediaClip[];
const options = { cacheDir, workers: 0, video: false, log: false } as const;

if (mode === 'one-by-one') {
  for (const clip of clips) {
    const result = await preprocess([clip], options);
    if (result.status !== 'complete' || result.index.error)
      throw new Error(JSON.stringify(result.failed ?? result.index));
  }
} else {
  const stallAfter = Number(mode.split(':')[1]);
  await preprocess(clips, {
    ...options,
    onProgress: ({ done }) => {
      if (done < stallAfter) return;
      writeFileSync(`${cacheDir}.stalled`, String(done));
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000); // killed while here
    },
  });
}
