// One pino logger per process, JSON to stdout, passed down to everything that logs: @multinic/kube's daemon
// logger under the controller's name.
import { createDaemonLogger } from '@multinic/kube';
import type { DestinationStream, Logger } from 'pino';
import type { LogLevel } from './config.js';

export function createLogger(options: { level: LogLevel; destination?: DestinationStream }): Logger {
  return createDaemonLogger({
    name: 'multinic-controller',
    level: options.level,
    ...(options.destination === undefined ? {} : { destination: options.destination }),
  });
}
