export { AgentClient, AgentUnreachableError } from './agent-client.js';
export type { AgentClientOptions } from './agent-client.js';
export { podOf, podRequestOf } from './inputs.js';
export type { PodRequest } from './inputs.js';
export { releaseQuietly, reserve } from './reserve.js';
export type { Attachment, ReserveInput, Reservation } from './reserve.js';
export { agentGc, agentStatus, compareWithPrevResult, heldAllocations } from './verbs.js';
export { ipamResult, multiNicIpamPlugin, parseIpamConf } from './ipam.js';
export type { IpamConf } from './ipam.js';
