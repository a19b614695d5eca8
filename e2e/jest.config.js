import { jestConfig } from '../jest.config.base.js';

// One cluster (control plane, three host namespaces, agents, controller) per test file; pods are real CNI calls.
export default { ...jestConfig({ testTimeout: 300_000 }), maxWorkers: 1 };
