import { packageBuildConfig } from '../../tsup.shared';

// An app, not a library: ESM only; the CLI is the entry, the page is built by Vite (vite.config.ts).
export default packageBuildConfig({ entry: ['src/index.ts', 'src/cli.ts'], format: ['esm'], dts: false });
