export { familyBits, formatAddress, formatPrefix, hostMask, parseAddress, parsePrefix } from './address.js';
export type { Family, IpAddress, IpPrefix, ParsePrefixOptions } from './address.js';
export type { Failure, Result } from './result.js';
export type {
  AllocateSpecificErrorCode,
  AllocatorErrorCode,
  CidrErrorCode,
  HostLocalErrorCode,
  ParseErrorCode,
  PlanProblemCode,
  PrefixErrorCode,
} from './codes.js';
export {
  compareAddresses,
  comparePrefixes,
  prefixContains,
  prefixContainsAddress,
  prefixesOverlap,
  prefixFirst,
  prefixLast,
  prefixOf,
  prefixSize,
  prefixToRange,
  rangeToPrefixes,
  subPrefix,
} from './prefix.js';
export type { AddressRange } from './prefix.js';
export { RangeAllocator } from './allocator.js';
export type { RangeAllocatorOptions } from './allocator.js';
export { computePlan, NetworkPlanner } from './plan/planner.js';
export { computeFamilyPlans } from './plan/families.js';
export type { FamilyPlansInput, FamilyPlansResult } from './plan/families.js';
export { defaultHostBlock } from './plan/config.js';
export { poolName } from './plan/state.js';
export { networkConflicts } from './plan/conflicts.js';
export type { NetworkClaim, NetworkConflict } from './plan/conflicts.js';
export { routeTableName, routesForHost, rulesForHost } from './plan/routes.js';
export { DEFAULT_ROUTE_TABLE_BASE } from './plan/types.js';
export type {
  IPPoolPlan,
  NetworkPlan,
  PlanConfig,
  PlanHost,
  PlanHostEntry,
  PlanInput,
  PlanInterfaceEntry,
  PlanNic,
  PlannedRoute,
  PlannedRule,
  PlanProblem,
  PlanResult,
} from './plan/types.js';
export { hostLocalRange } from './host-local.js';
export type {
  HostLocalRange,
  HostLocalRangeInput,
  HostLocalRangeResult,
  HostLocalSettings,
  HostRangeSettings,
  RangeSettings,
} from './host-local.js';
