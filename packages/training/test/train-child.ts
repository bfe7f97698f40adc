// A training process for the signal test: trains with process signals wired to the run's stop.
import { initBackend } from '@mtl/backend';
import { stopOnSignals, train } from '../src/index.js';

const [configJson, runsDir] = process.argv.slice(2) as [string, string];
await initBackend({ backend: 'wasm' });
const stop = stopOnSignals();
const result = await train(JSON.parse(configJson), {
  runsDir,
  signal: stop.signal,
  workers: 0,
  onProgress: (event) => {
    if (event.kind === 'step') process.stdout.write(`step ${event.step}\n`);
  },
});
if (result.status === 'interrupted') {
  process.stderr.write(`run interrupted; to continue: ${result.resumeCommand}\n`);
  process.exit(stop.exitCode());
}
