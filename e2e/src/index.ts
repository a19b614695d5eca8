export { Cluster, NETWORKS_ANNOTATION, ROOT, STATUS_ANNOTATION } from './cluster.js';
export type { ClusterOptions, Host, PodOptions, IPPool, NetworkStatus, Pod, PodInterface } from './cluster.js';
export { daemon, run, runOk, stopDaemon, waitFor } from './sh.js';
export type { Daemon, RunOptions, RunResult } from './sh.js';
export { macvlanNetwork, NETWORK, TOPOLOGY_NETS } from './network.js';
export type { NetworkManifest } from './network.js';
export { attachments, formatTable, inCidr, pingMatrix } from './survey.js';
export type { Attachment, PingResult } from './survey.js';
