// The process layer the controller and the node agent share: `--version`, configuration parsed once, one pino
// logger, SIGTERM/SIGINT → a single graceful stop, and start-up failures mapped to exit codes. A daemon's `bin` is
// one call of runDaemonProcess; its `main` one call of runDaemon.
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';

/** Exit codes of every daemon: 0 after a graceful stop, 2 for a configuration error, 1 for any other failure. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
export type StopSignal = (typeof SIGNALS)[number];

/** A second signal exits at once with the shell's code for death by that signal. */
const SIGNAL_EXIT: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

export type DaemonConfigResult<C> =
  | { readonly ok: true; readonly config: C }
  | { readonly ok: false; readonly problems: readonly string[] }
  | { readonly ok: 'help'; readonly text: string };

export interface DaemonSources {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** A started daemon. */
export interface RunningDaemon {
  /** Graceful stop; called once. */
  stop(): Promise<void>;
  /** Rejects when the daemon fails on its own after start: the runner then stops it and exits 1. */
  readonly failed?: Promise<never>;
}

export interface DaemonSpec<C extends { readonly logLevel: string }> {
  /** The executable's name: `--version` prints `<name> <version>`; the logger's `component`. */
  readonly name: string;
  /** Read only for `--version`. */
  readonly version: () => string;
  readonly parseConfig: (sources: DaemonSources) => DaemonConfigResult<C>;
  /** Fields every log line carries besides `component` (e.g. the node). */
  readonly logFields?: (config: C) => Record<string, unknown>;
  readonly start: (context: { readonly config: C; readonly log: Logger }) => Promise<RunningDaemon>;
  /** The exit code of a start-up failure (default 1). */
  readonly exitCodeOf?: (err: unknown) => number;
}

/** An event source of signals (the process, or an EventEmitter in tests). */
export interface SignalSource {
  on(signal: StopSignal, listener: () => void): unknown;
  off(signal: StopSignal, listener: () => void): unknown;
}

export interface DaemonIo extends DaemonSources {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Where stop signals come from (default: the process). */
  readonly signals?: SignalSource;
  /** Ends the process at once, for a second signal (default process.exit). */
  readonly exit?: (code: number) => void;
  /** Where log lines go (default stdout). */
  readonly logDestination?: DestinationStream;
}

/** The one logger of a daemon process: JSON lines, ISO time, level names. */
export function createDaemonLogger(options: {
  readonly name: string;
  readonly level: string;
  readonly fields?: Record<string, unknown>;
  readonly destination?: DestinationStream;
}): Logger {
  const settings = {
    level: options.level,
    base: { component: options.name, ...options.fields },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}

/**
 * The version of the running executable: the one build-sea.ts bundled in (`defined`), else the `version` of the
 * package.json beside the bin (`dist/bin.js` → `../package.json`; argv[1], not import.meta: bundles are CommonJS).
 */
export function binVersion(defined: string | undefined): string {
  if (defined !== undefined) return defined;
  const file = path.join(path.dirname(realpathSync(process.argv[1] ?? '.')), '..', 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/** Resolves with the first stop signal; a second one exits at once. `dispose` removes the listeners. */
function stopSignals(
  io: DaemonIo,
  log: () => Logger | undefined,
): { readonly first: Promise<StopSignal>; dispose(): void } {
  const source: SignalSource = io.signals ?? process;
  const exit = io.exit ?? ((code: number) => process.exit(code));
  let received: StopSignal | undefined;
  let resolve: (signal: StopSignal) => void = () => undefined;
  const first = new Promise<StopSignal>((r) => {
    resolve = r;
  });
  const listeners = SIGNALS.map((signal) => {
    const listener = (): void => {
      if (received === undefined) {
        received = signal;
        resolve(signal);
        return;
      }
      log()?.warn({ signal, first: received }, 'second stop signal: exiting at once');
      exit(SIGNAL_EXIT[signal]);
    };
    source.on(signal, listener);
    return { signal, listener };
  });
  return { first, dispose: () => listeners.forEach(({ signal, listener }) => source.off(signal, listener)) };
}

/** Runs a daemon until a stop signal or its own failure; returns the exit code. */
export async function runDaemon<C extends { readonly logLevel: string }>(
  spec: DaemonSpec<C>,
  io: DaemonIo,
): Promise<number> {
  // Before any configuration or Kubernetes access: images and install scripts probe the binary with it.
  if (io.argv[0] === '--version') {
    io.stdout(`${spec.name} ${spec.version()}\n`);
    return EXIT.ok;
  }
  const parsed = spec.parseConfig({ argv: io.argv, env: io.env });
  if (parsed.ok === 'help') {
    io.stdout(`${parsed.text}\n`);
    return EXIT.ok;
  }
  if (!parsed.ok) {
    io.stderr(`${spec.name}: invalid configuration:\n  ${parsed.problems.join('\n  ')}\n`);
    return EXIT.usage;
  }
  const { config } = parsed;
  const fields = spec.logFields?.(config);
  const log = createDaemonLogger({
    name: spec.name,
    level: config.logLevel,
    ...(fields === undefined ? {} : { fields }),
    ...(io.logDestination === undefined ? {} : { destination: io.logDestination }),
  });
  // Listening before start: a SIGTERM while starting stops the daemon once it has started.
  const signals = stopSignals(io, () => log);
  try {
    return await runStarted(spec, { config, log, signal: signals.first });
  } finally {
    signals.dispose();
  }
}

async function runStarted<C extends { readonly logLevel: string }>(
  spec: DaemonSpec<C>,
  o: { readonly config: C; readonly log: Logger; readonly signal: Promise<StopSignal> },
): Promise<number> {
  const { log } = o;
  let daemon: RunningDaemon;
  try {
    daemon = await spec.start({ config: o.config, log });
  } catch (err) {
    const code = spec.exitCodeOf?.(err) ?? EXIT.failed;
    log.fatal({ err, exitCode: code }, `${spec.name} failed to start`);
    return code;
  }
  const failed = (daemon.failed ?? new Promise<never>(() => undefined)).then(
    () => undefined,
    (err: unknown) => {
      log.fatal({ err }, `${spec.name} failed`);
      return 'failure' as const;
    },
  );
  const why = await Promise.race([o.signal, failed]);
  log.info({ signal: why }, 'stopping');
  try {
    await daemon.stop();
  } catch (err) {
    log.fatal({ err }, `${spec.name} did not stop cleanly`);
    return EXIT.failed;
  }
  return why === 'failure' ? EXIT.failed : EXIT.ok;
}

/** The `bin` of a daemon: runs it with the process's argv, environment and signals, and sets the exit code. */
export function runDaemonProcess<C extends { readonly logLevel: string }>(spec: DaemonSpec<C>): void {
  runDaemon(spec, {
    argv: process.argv.slice(2),
    env: process.env,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${spec.name}: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = EXIT.failed;
    },
  );
}
