// A small JSON-lines logger: stdout belongs to the protocol, so logs go to stderr or to the file the network
// configuration names (`logFile`, at `logLevel`, as Multus spells them). A plugin process lives for milliseconds,
// so there is no buffering and nothing to flush; a log that cannot be written never fails the command.

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Receives one complete line (with its newline). */
  readonly write: (line: string) => void;
  readonly now: () => Date;
  /** When given, every line carries `uptimeMs`: how far into the process it was written (0.1 ms). */
  readonly uptime?: () => number;
  readonly fields?: LogFields;
}

function errorFields(fields: LogFields): LogFields {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] =
      value instanceof Error
        ? { name: value.name, message: value.message, ...('code' in value ? { code: value.code } : {}) }
        : value;
  }
  return out;
}

export function createLogger(options: LoggerOptions): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level);
  const base = options.fields ?? {};
  const emit = (level: LogLevel, msg: string, fields: LogFields = {}): void => {
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    try {
      const uptime = options.uptime === undefined ? {} : { uptimeMs: Math.round(options.uptime() * 10) / 10 };
      options.write(
        `${JSON.stringify({ time: options.now().toISOString(), ...uptime, level, msg, ...errorFields(base), ...errorFields(fields) })}\n`,
      );
    } catch {
      // A log that cannot be written must not turn into a CNI failure.
    }
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

/** `logLevel` of the configuration, or `fallback` when absent or not a level. */
export function logLevelOf(value: unknown, fallback: LogLevel): LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value)
    ? (value as LogLevel)
    : fallback;
}
