export { Controller } from './controller.js';
export type { ControllerOptions, ControllerStats } from './controller.js';
export { CONFIG_DEFAULTS, ControllerConfigSchema, LOG_LEVELS, makeConfig, parseConfig } from './config.js';
export type { ConfigResult, ConfigSources, ControllerConfig, ControllerConfigInput, LogLevel } from './config.js';
export {
  FIELD_MANAGER,
  HOST_LABEL,
  INTERFACE_LABEL,
  NETWORK_LABEL,
  desiredCidr,
  desiredIPPool,
  desiredNads,
  ownerReference,
  upToDate,
} from './desired.js';
export type { NetworkRef } from './desired.js';
export { DEPARTED_ANNOTATION, liveHosts, planHostOf, retainDeparted } from './hosts.js';
export type { PoolState, RetainedNic, Retention, RetentionInput } from './hosts.js';
export { effectiveConfig, selectNamespaces } from './reconcile.js';
export { networkStatus, newProblems, problemOfPlan, statusEqual, summarizeRoutes } from './status.js';
export type { Problem, ProblemReason, StatusInput } from './status.js';
export { WorkQueue } from './queue.js';
export type { WorkQueueOptions } from './queue.js';
export { Backoff } from '@multinic/kube';
export type { BackoffOptions } from '@multinic/kube';
export { systemClock } from './clock.js';
export type { CancelTimer, Clock } from './clock.js';
export { LeaderElector } from './leader.js';
export type { LeaderElectorOptions } from './leader.js';
export { ControllerMetrics } from './metrics.js';
export { ControllerError } from './errors.js';
export type { ControllerErrorCode } from './errors.js';
export { createLogger } from './logger.js';
export { startProbeServer } from './server.js';
export type { ProbeServer, ProbeServerOptions } from './server.js';
export { main, EXIT } from './main.js';
export type { MainIO } from './main.js';
