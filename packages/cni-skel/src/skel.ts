// The CNI protocol skeleton (containernetworking/cni's pkg/skel, for Node): one invocation = environment + stdin in,
// a result or an error JSON out. Handlers receive typed arguments and a logger; they never see process.env or stdout.
import { CNI_SPEC_VERSIONS, parseAndConvertResult } from '@multinic/crd-types';
import type { CniAttachment, CniResult, CniSpecVersion } from '@multinic/crd-types';
import { decodeConfig, prevResultOf, validAttachmentsOf } from './config.js';
import type { DecodedConfig, JsonObject } from './config.js';
import { parseEnvironment } from './env.js';
import type { Environment, Invocation } from './env.js';
import { invalidConfig, invalidEnvironment, toCniError } from './errors.js';
import { createLogger, logLevelOf } from './log.js';
import type { LogLevel, Logger } from './log.js';

/** The newest spec version this skeleton speaks (VERSION answers with it; errors use it when the config has none). */
export const LATEST_CNI_VERSION: CniSpecVersion = CNI_SPEC_VERSIONS[CNI_SPEC_VERSIONS.length - 1] ?? '1.1.0';

export interface ConfigArgs {
  /** The network configuration as received. */
  readonly config: JsonObject;
  readonly cniVersion: CniSpecVersion;
  /** The network name. */
  readonly name: string;
  /** `CNI_PATH`: where delegate plugins are looked up. */
  readonly path: readonly string[];
}

export interface AttachmentArgs extends ConfigArgs {
  readonly containerId: string;
  readonly netns: string;
  readonly ifname: string;
  readonly args: Readonly<Record<string, string>>;
  readonly rawArgs: string;
}

export type AddArgs = AttachmentArgs;

export interface DelArgs extends AttachmentArgs {
  /** The ADD result, when the runtime passes it (0.4.0 on); undefined when absent or unreadable. */
  readonly prevResult: CniResult | undefined;
}

export interface CheckArgs extends AttachmentArgs {
  readonly prevResult: CniResult;
}

export interface GcArgs extends ConfigArgs {
  readonly validAttachments: readonly CniAttachment[];
}

export type StatusArgs = ConfigArgs;

export interface HandlerContext {
  readonly log: Logger;
  /** The process environment without the CNI_* protocol variables, for delegates (PATH, …). */
  readonly environ: Environment;
}

/** A plugin = the skeleton + these handlers. Every handler reports failure by throwing (a `CniFailure` carries its code). */
export interface CniPlugin {
  readonly name: string;
  readonly version: string;
  add(args: AddArgs, ctx: HandlerContext): Promise<CniResult>;
  del(args: DelArgs, ctx: HandlerContext): Promise<void>;
  check(args: CheckArgs, ctx: HandlerContext): Promise<void>;
  gc(args: GcArgs, ctx: HandlerContext): Promise<void>;
  status(args: StatusArgs, ctx: HandlerContext): Promise<void>;
  /**
   * Runs while a startup snapshot of the executable is built (build-sea.ts --snapshot), never at run time: passes
   * representative documents through the parsers and builders the handlers use, so that zod's and V8's first-use
   * work is already done in the snapshot. It must not touch the network, files, the environment or child processes.
   */
  warmUp?(): Promise<void>;
}

/** Everything the skeleton touches of the process, so it runs the same in a test. */
export interface CniIo {
  readonly env: Environment;
  readonly argv: readonly string[];
  readStdin(): Promise<string>;
  writeStdout(text: string): void;
  writeStderr(text: string): void;
  appendFile(path: string, text: string): void;
  now(): Date;
  /** Milliseconds since the process started (`performance.now()`): logged as `uptimeMs` when given. */
  uptimeMs?(): number;
  /** Whether `netns` is the network namespace this process runs in (the host's); never asked when absent. */
  isOwnNetns?(netns: string): boolean;
}

/** Log level when the configuration sets none: quiet, as the reference plugins are. */
const DEFAULT_LOG_LEVEL: LogLevel = 'warn';

function about(plugin: CniPlugin): string {
  return `CNI plugin ${plugin.name} v${plugin.version}\nCNI protocol versions supported: ${CNI_SPEC_VERSIONS.join(', ')}\n`;
}

function printJson(io: CniIo, value: unknown): void {
  io.writeStdout(`${JSON.stringify(value)}\n`);
}

/** The version an error is reported in: the configuration's, if it names a supported one. */
function errorVersion(stdin: string | undefined): string {
  if (stdin === undefined) return LATEST_CNI_VERSION;
  try {
    const version: unknown = (JSON.parse(stdin) as { cniVersion?: unknown } | null)?.cniVersion;
    return typeof version === 'string' && (CNI_SPEC_VERSIONS as readonly string[]).includes(version)
      ? version
      : LATEST_CNI_VERSION;
  } catch {
    return LATEST_CNI_VERSION;
  }
}

/**
 * A pod's namespace must not be the plugin's own: DEL would delete the host's links named like pod links, ADD would
 * create the pod's interfaces and routes in the host (issue 23). Refused for the commands that work inside CNI_NETNS.
 */
function refuseOwnNamespace(io: CniIo, inv: Invocation): void {
  if (inv.netns === '' || (inv.command !== 'ADD' && inv.command !== 'DEL' && inv.command !== 'CHECK')) return;
  if (io.isOwnNetns?.(inv.netns) !== true) return;
  throw invalidEnvironment(
    `CNI_NETNS ${JSON.stringify(inv.netns)} is the network namespace this plugin runs in (the host's), not a pod's: nothing was done inside it`,
    "the runtime must pass the path of the pod sandbox's network namespace",
  );
}

function environOf(env: Environment): Environment {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !key.startsWith('CNI_')));
}

function loggerFor(io: CniIo, config: DecodedConfig, fields: Record<string, unknown>): Logger {
  const file = config.raw['logFile'];
  const write =
    typeof file === 'string' && file !== ''
      ? (line: string) => io.appendFile(file, line)
      : (line: string) => io.writeStderr(line);
  const uptime = io.uptimeMs === undefined ? {} : { uptime: () => io.uptimeMs?.() ?? 0 };
  return createLogger({
    level: logLevelOf(config.raw['logLevel'], DEFAULT_LOG_LEVEL),
    write,
    now: () => io.now(),
    ...uptime,
    fields,
  });
}

function attachmentArgs(inv: Invocation, config: DecodedConfig): AttachmentArgs {
  return {
    config: config.raw,
    cniVersion: config.cniVersion,
    name: config.name,
    path: inv.path,
    containerId: inv.containerId,
    netns: inv.netns,
    ifname: inv.ifname,
    args: inv.args,
    rawArgs: inv.rawArgs,
  };
}

function delPrevResult(config: DecodedConfig, log: Logger): CniResult | undefined {
  try {
    return prevResultOf(config);
  } catch (err) {
    log.warn('DEL: ignoring an unreadable prevResult', { err });
    return undefined;
  }
}

async function dispatch(
  plugin: CniPlugin,
  inv: Invocation,
  config: DecodedConfig,
  ctx: HandlerContext,
): Promise<CniResult | undefined> {
  const base = { config: config.raw, cniVersion: config.cniVersion, name: config.name, path: inv.path };
  switch (inv.command) {
    case 'ADD':
      return plugin.add(attachmentArgs(inv, config), ctx);
    case 'DEL':
      await plugin.del({ ...attachmentArgs(inv, config), prevResult: delPrevResult(config, ctx.log) }, ctx);
      return undefined;
    case 'CHECK': {
      const prevResult = prevResultOf(config);
      if (prevResult === undefined) {
        throw invalidConfig(
          'CHECK needs prevResult in the network configuration: the runtime passes the result of ADD',
        );
      }
      await plugin.check({ ...attachmentArgs(inv, config), prevResult }, ctx);
      return undefined;
    }
    case 'GC':
      await plugin.gc({ ...base, validAttachments: validAttachmentsOf(config) }, ctx);
      return undefined;
    case 'STATUS':
      await plugin.status(base, ctx);
      return undefined;
    case 'VERSION':
      return undefined;
  }
}

function printResult(io: CniIo, result: CniResult, cniVersion: CniSpecVersion): number {
  const converted = parseAndConvertResult(result, cniVersion);
  if (!converted.ok) {
    printJson(io, { ...converted.error, msg: `the plugin produced an invalid result: ${converted.error.msg}` });
    return 1;
  }
  printJson(io, converted.value);
  return 0;
}

async function invoke(plugin: CniPlugin, io: CniIo, inv: Invocation): Promise<number> {
  const stdin = await io.readStdin();
  let log: Logger | undefined;
  try {
    const config = decodeConfig(stdin, inv.command);
    log = loggerFor(io, config, {
      plugin: plugin.name,
      command: inv.command,
      ...(inv.containerId === '' ? {} : { containerID: inv.containerId, ifname: inv.ifname }),
    });
    log.debug(`${inv.command} started`);
    const result = await dispatch(plugin, inv, config, { log, environ: environOf(io.env) });
    log.debug(`${inv.command} done`);
    return result === undefined ? 0 : printResult(io, result, config.cniVersion);
  } catch (err) {
    const error = toCniError(err, errorVersion(stdin));
    log?.error(`${inv.command} failed`, {
      code: error.code,
      error: error.msg,
      ...(error.details === undefined ? {} : { details: error.details }),
    });
    printJson(io, error);
    return 1;
  }
}

/**
 * Runs one CNI invocation and returns the exit code: 0 with the result (converted to the configuration's
 * cniVersion) on stdout, or 1 with the spec's error JSON on stdout. `--version` prints the plugin's version.
 */
export async function runCni(plugin: CniPlugin, io: CniIo): Promise<number> {
  if (io.argv.includes('--version')) {
    io.writeStdout(about(plugin));
    return 0;
  }
  let inv: Invocation;
  try {
    inv = parseEnvironment(io.env);
    refuseOwnNamespace(io, inv);
  } catch (err) {
    if ((io.env['CNI_COMMAND'] ?? '') === '') io.writeStderr(about(plugin));
    printJson(io, toCniError(err, LATEST_CNI_VERSION));
    return 1;
  }
  if (inv.command === 'VERSION') {
    printJson(io, { cniVersion: LATEST_CNI_VERSION, supportedVersions: [...CNI_SPEC_VERSIONS] });
    return 0;
  }
  return invoke(plugin, io, inv);
}
