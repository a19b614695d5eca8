export { selectNics, normalizePciAddress } from './select.js';
export { podNicRequest } from './request.js';
export type { CniArgsProblem, PodNicRequestResult } from './request.js';
export { compileSelector, nicAttributes } from './cel.js';
export type { NicPredicate } from './cel.js';
export { parseBandwidth, formatMbps } from './bandwidth.js';
export { compareInterfaceNames } from './order.js';
export { cheapestSet } from './strategies/cost.js';
export { topologyOrder, perfOrder } from './strategies/ranked.js';
export type {
  Strategy,
  PodNicRequest,
  PolicyNetwork,
  NicClassLookup,
  SelectNicsInput,
  NotChosenCode,
  NotChosen,
  NicSelection,
  PolicyErrorCode,
  PolicyError,
  PolicyResult,
} from './types.js';
