export { multiNicPlugin, netConfOf } from './plugin.js';
export { addDelegates, checkDelegates, delDelegates, delegateArgs, delegatePrevResult } from './delegates.js';
export type { AddOptions, DelegateContext } from './delegates.js';
export { mergeResults } from './merge.js';
export type { DelegateOutcome } from './merge.js';
export {
  applyPodRoutes,
  batchesOf,
  ipInNetns,
  listPodLinks,
  removePodLinks,
  removePodRules,
  ruleRemovals,
  runIpBatch,
  systemTool,
} from './pod-ip.js';
export type { IpBatch } from './pod-ip.js';
