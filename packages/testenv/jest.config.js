import { jestConfig } from '../../jest.config.base.js';

// Each test file starts its own control plane in beforeAll (tens of seconds on 2 cores).
export default jestConfig({ testTimeout: 180_000 });
