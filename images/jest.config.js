import { jestConfig } from '../jest.config.base.js';

// The test builds both images (umoci gzips ~0.5 GiB) and unpacks them: about a minute on 2 busy cores.
export default jestConfig({ testTimeout: 300_000 });
