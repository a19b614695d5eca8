// Delegation (CNI spec §4): execute another plugin found on CNI_PATH with the same protocol — environment, the
// configuration on stdin, a result or an error JSON on stdout. The reference plugins do the namespace and link work.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { CniCommand } from '@multinic/crd-types';
import type { JsonObject } from './config.js';
import type { Environment } from './env.js';
import { CNI_OTHER_ERROR, CniFailure, decodingFailure, invalidConfig } from './errors.js';

export interface DelegateInvocation {
  /** The plugin's executable name (`type` of its configuration). */
  readonly type: string;
  readonly command: CniCommand;
  /** Written to the plugin's stdin. */
  readonly config: JsonObject;
  /** `CNI_PATH`: where the plugin is looked up, also passed on. */
  readonly path: readonly string[];
  readonly containerId?: string;
  readonly netns?: string;
  readonly ifname?: string;
  /** `CNI_ARGS`, as a string. */
  readonly args?: string;
  /** Non-CNI variables to pass on (PATH, …). */
  readonly environ?: Environment;
  /** Kill the plugin after this long. Default 60 s. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The plugin `type` on `dirs` (first match wins); a `CniFailure` (code 7) naming the directories when absent. */
export function findPlugin(type: string, dirs: readonly string[]): string {
  if (type === '' || type.includes('/') || type.includes('\\') || type === '.' || type === '..') {
    throw invalidConfig(`plugin type ${JSON.stringify(type)} is not an executable name`);
  }
  for (const dir of dirs) {
    const file = path.join(dir, type);
    if (executable(file)) return file;
  }
  throw invalidConfig(
    `failed to find plugin ${JSON.stringify(type)} in CNI_PATH [${dirs.join(' ')}]: install it (containernetworking-plugins) on the node`,
  );
}

function childEnv(call: DelegateInvocation): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(call.environ ?? {}))
    if (value !== undefined && !key.startsWith('CNI_')) env[key] = value;
  const cni: Record<string, string | undefined> = {
    CNI_COMMAND: call.command,
    CNI_CONTAINERID: call.containerId,
    CNI_NETNS: call.netns,
    CNI_IFNAME: call.ifname,
    CNI_ARGS: call.args,
    CNI_PATH: call.path.join(':'),
  };
  for (const [key, value] of Object.entries(cni)) if (value !== undefined) env[key] = value;
  return env;
}

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function run(file: string, call: DelegateInvocation): Promise<Exit> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout kills whatever the plugin started as well.
    const child = spawn(file, [], { env: childEnv(call), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, call.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => undefined); // a plugin that exits without reading stdin
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
      });
    });
    child.stdin.end(JSON.stringify(call.config));
  });
}

function label(call: DelegateInvocation): string {
  return `${call.type} ${call.command}${call.ifname === undefined ? '' : ` ${call.ifname}`}`;
}

function tail(text: string): string {
  const t = text.trim();
  return t.length > 500 ? `…${t.slice(-500)}` : t;
}

function failureOf(call: DelegateInvocation, exit: Exit): CniFailure {
  if (exit.timedOut)
    return new CniFailure({
      code: CNI_OTHER_ERROR,
      msg: `${label(call)}: no answer after ${(call.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000} s; killed`,
    });
  try {
    const error = JSON.parse(exit.stdout) as { code?: unknown; msg?: unknown; details?: unknown };
    if (typeof error.code === 'number' && typeof error.msg === 'string') {
      return new CniFailure({
        code: error.code,
        msg: `${label(call)}: ${error.msg}`,
        details: typeof error.details === 'string' && error.details !== '' ? error.details : undefined,
      });
    }
  } catch {
    // not an error JSON: fall through
  }
  const how = exit.signal === null ? `exited with ${exit.code}` : `was killed by ${exit.signal}`;
  return new CniFailure({
    code: CNI_OTHER_ERROR,
    msg: `${label(call)} ${how} without a CNI error`,
    details: tail(exit.stderr || exit.stdout) || undefined,
  });
}

/**
 * Executes a delegate plugin and returns what it printed, parsed (undefined when it printed nothing, as DEL may).
 * A failure becomes a `CniFailure` with the delegate's own code and message.
 */
export async function invokeDelegate(call: DelegateInvocation): Promise<unknown> {
  const file = findPlugin(call.type, call.path);
  let exit: Exit;
  try {
    exit = await run(file, call);
  } catch (err) {
    throw new CniFailure({
      code: CNI_OTHER_ERROR,
      msg: `${label(call)}: could not execute ${file}: ${(err as Error).message}`,
      cause: err,
    });
  }
  if (exit.code !== 0) throw failureOf(call, exit);
  if (exit.stdout.trim() === '') return undefined;
  try {
    return JSON.parse(exit.stdout) as unknown;
  } catch (err) {
    throw decodingFailure(
      `${label(call)} printed something that is not JSON (${(err as Error).message})`,
      tail(exit.stdout),
    );
  }
}
