import { packageBuildConfig } from '../../tsup.shared';

// Two entries: the package, and the tfjs-free run-store reader the viewer imports.
export default packageBuildConfig({ entry: { index: 'src/index.ts', 'run-store/index': 'src/run-store/index.ts' } });
