import { packageBuildConfig } from '../../tsup.shared';

// The package, the tfjs-free run-store reader the viewer imports, and the loader's prefetch thread.
export default packageBuildConfig({
  entry: {
    index: 'src/index.ts',
    'run-store/index': 'src/run-store/index.ts',
    'prefetch-worker': 'src/prefetch-worker.ts',
  },
});
