// One pino logger per process, JSON to stdout, passed down to everything that logs.
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export function createLogger(options: { level: LogLevel; destination?: DestinationStream }): Logger {
  const settings = {
    level: options.level,
    base: { component: 'multinic-controller' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}
