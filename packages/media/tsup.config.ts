import { packageBuildConfig } from '../../tsup.shared';

// The worker is its own entry: preprocess() forks it next to the built index.
// shims: the CJS build gets import.meta.url, which locates the worker and the installer packages.
export default packageBuildConfig({
  entry: { index: 'src/index.ts', 'clip-worker': 'src/preprocess/clip-worker.ts' },
  shims: true,
});
