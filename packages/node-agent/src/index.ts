export { Agent, FIELD_MANAGER } from './agent.js';
export type { AgentOptions } from './agent.js';
export { AgentConfigSchema, parseConfig, USAGE } from './config.js';
export type { AgentConfig, AgentConfigInput, ConfigResult, ConfigSources } from './config.js';
export {
  discoverNics,
  diffNics,
  nicOf,
  DEFAULT_EXCLUDE_KINDS,
  DEFAULT_EXCLUDE_NAMES,
  IpLinkSchema,
} from './discovery/nics.js';
export type {
  DiscoveryInput,
  DiscoveryOptions,
  DiscoveryResult,
  IpLink,
  NicChanges,
  SkippedLink,
  SysfsReadings,
} from './discovery/nics.js';
export { readNics } from './discovery/reader.js';
export { localHost, readSysfs, run } from './host.js';
export type { HostOps, IpResult } from './host.js';
export { AllocationStore, attachmentKey } from './ipam/store.js';
export type {
  AllocateFailure,
  AllocateFailureCode,
  AllocateInput,
  AllocateOutcome,
  AllocationRecord,
  PoolChange,
  PoolSpec,
  StoreOutcome,
} from './ipam/store.js';
export { AgentMetrics } from './metrics.js';
export { assignTables, desiredRoutes, familyPlans, removalBatch, routeBatch, tableName } from './routes/plan.js';
export type { FamilyPlans } from './routes/plan.js';
export type { AssignTablesInput, CurrentState, DesiredRule, NetworkRoutes } from './routes/plan.js';
export { selectForPod } from './select.js';
export { main } from './main.js';
export type { MainIo } from './main.js';
export { AgentStartError } from './errors.js';
export type { ApiFailure } from './errors.js';
