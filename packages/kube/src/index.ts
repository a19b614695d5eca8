export { KubeClient, APPLY_PATCH } from './client.js';
export type { HttpMethod, KubeClientOptions, KubeRequest, WatchEvent, WatchRequest } from './client.js';
export { KubeError, codeOfStatus, isKubeError, isTransient } from './errors.js';
export type { KubeErrorCode } from './errors.js';
export { Informer, cacheKey, stripManagedFields } from './informer.js';
export type { CachedObject, InformerHandlers, InformerLogger, InformerOptions } from './informer.js';
export { Backoff } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { systemClock } from './clock.js';
export type { CancelTimer, Clock } from './clock.js';
export { TokenFile, loadKubeConfig, tokenFileOf, useTokenFile } from './credentials.js';
export type { LoadKubeConfigOptions } from './credentials.js';
export {
  RESOURCES,
  apiVersionOf,
  collectionPath,
  hostSelector,
  nameSelector,
  objectPath,
  podsOnNodeSelector,
} from './resources.js';
export type { Resource } from './resources.js';
export { EXIT, binVersion, createDaemonLogger, runDaemon, runDaemonProcess } from './daemon.js';
export type {
  DaemonConfigResult,
  DaemonIo,
  DaemonSources,
  DaemonSpec,
  RunningDaemon,
  SignalSource,
  StopSignal,
} from './daemon.js';
