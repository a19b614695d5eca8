import { jestConfig } from '../../jest.config.base.js';

// Integration tests (test/) each start their own control plane in beforeAll (tens of seconds on 2 cores).
export default jestConfig({ testTimeout: 180_000 });
