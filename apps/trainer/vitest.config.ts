import { packageTestConfig } from '../../vitest.shared';

// The tests spawn the built CLI, which trains small models: allow them time.
export default packageTestConfig({ testTimeout: 180_000 });
