// Runs the skeleton in-process with a plugin that records what it was given, so tests see exactly what a
// handler receives and what the runtime would read on stdout.
import type { CniResult } from '@multinic/crd-types';
import { runCni } from '../src/skel.js';
import type { CniIo, CniPlugin, HandlerContext } from '../src/skel.js';

export interface Call {
  readonly command: string;
  readonly args: unknown;
  readonly ctx: HandlerContext;
}

export interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly files: Readonly<Record<string, string>>;
  readonly calls: readonly Call[];
  /** stdout parsed as JSON (every answer of the skeleton is one JSON document). */
  readonly json: Record<string, unknown>;
  readonly stdinRead: boolean;
}

export interface RunOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdin?: string;
  readonly argv?: readonly string[];
  /** What ADD returns; default: one interface with one address (1.1.0 fields included). */
  readonly result?: CniResult;
  /** Thrown by every handler. */
  readonly fail?: unknown;
  /** The process uptime the io reports (none when absent). */
  readonly uptimeMs?: number;
  /** The path the io calls the process's own network namespace (none when absent). */
  readonly ownNetns?: string;
}

export const RESULT_110: CniResult = {
  cniVersion: '1.1.0',
  interfaces: [{ name: 'net1-0', mac: '0a:58:0a:00:00:05', mtu: 1500, sandbox: '/run/netns/pod' }],
  ips: [{ address: '192.168.0.5/18', gateway: '192.168.0.1', interface: 0 }],
  routes: [{ dst: '10.0.0.0/8', gw: '192.168.0.1', table: 100 }],
  dns: { nameservers: ['10.96.0.10'] },
};

function recordingPlugin(options: RunOptions, calls: Call[]): CniPlugin {
  const record = (command: string) => async (args: unknown, ctx: HandlerContext) => {
    calls.push({ command, args, ctx });
    if (options.fail !== undefined) throw options.fail;
  };
  return {
    name: 'test-plugin',
    version: '9.9.9',
    add: async (args, ctx) => {
      await record('ADD')(args, ctx);
      return options.result ?? RESULT_110;
    },
    del: record('DEL'),
    check: record('CHECK'),
    gc: record('GC'),
    status: record('STATUS'),
  };
}

export async function runSkel(options: RunOptions): Promise<Outcome> {
  const calls: Call[] = [];
  let stdout = '';
  let stderr = '';
  let stdinRead = false;
  const files: Record<string, string> = {};
  const io: CniIo = {
    env: options.env,
    argv: options.argv ?? [],
    readStdin: async () => {
      stdinRead = true;
      return options.stdin ?? '';
    },
    writeStdout: (t) => void (stdout += t),
    writeStderr: (t) => void (stderr += t),
    appendFile: (file, t) => void (files[file] = (files[file] ?? '') + t),
    now: () => new Date(0),
    ...(options.uptimeMs === undefined ? {} : { uptimeMs: () => options.uptimeMs ?? 0 }),
    ...(options.ownNetns === undefined ? {} : { isOwnNetns: (netns: string) => netns === options.ownNetns }),
  };
  const code = await runCni(recordingPlugin(options, calls), io);
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(stdout) as Record<string, unknown>;
  } catch {
    json = {};
  }
  return { code, stdout, stderr, files, calls, json, stdinRead };
}

/** A complete environment for `command`. */
export function envFor(
  command: string,
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    PATH: '/usr/sbin:/usr/bin',
    CNI_COMMAND: command,
    CNI_CONTAINERID: 'c0ffee',
    CNI_NETNS: '/run/netns/pod',
    CNI_IFNAME: 'net1',
    CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p;K8S_POD_UID=u-1',
    CNI_PATH: '/opt/cni/bin:/usr/lib/cni',
    ...extra,
  };
}

export function configFor(cniVersion: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ cniVersion, name: 'net-a', type: 'test-plugin', ...extra });
}
