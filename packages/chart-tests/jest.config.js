import { jestConfig } from '../../jest.config.base.js';

// The install and component tests each start a real control plane in beforeAll.
export default jestConfig({ testTimeout: 180_000 });
