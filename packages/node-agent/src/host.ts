// The host the agent works on: the `ip` command and sysfs. Injected, so the agent can work on a network namespace
// (`ip -n <ns>`, sysfs as that namespace sees it) in tests and benchmarks without any of that in the agent itself.
import { execFile } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import * as path from 'node:path';
import type { SysfsReadings } from './discovery/nics.js';

export interface IpResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export interface HostOps {
  /** Runs `ip <args>` (with `stdin` for `-batch -`). Never throws for a non-zero exit. */
  ip(args: readonly string[], stdin?: string): Promise<IpResult>;
  /** Sysfs readings of the given links. */
  sysfs(interfaces: readonly string[]): Promise<Record<string, SysfsReadings>>;
}

/** Runs a command, collecting its output; a non-zero exit is a value, not an exception. */
export function run(command: string, options: { args: readonly string[]; stdin?: string }): Promise<IpResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, [...options.args], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number') {
        reject(err);
        return;
      }
      resolve({ stdout, stderr, exitCode: err === null ? 0 : Number(err.code) });
    });
    // A command that exits without reading its input must not fail the call (EPIPE); its exit code tells.
    child.stdin?.on('error', () => undefined);
    if (options.stdin === undefined) child.stdin?.end();
    else child.stdin?.end(options.stdin);
  });
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function linkOptional(file: string): Promise<string | undefined> {
  try {
    return await readlink(file);
  } catch {
    return undefined;
  }
}

/** Reads `<root>/class/net/<if>/…` directly. */
export async function readSysfs(root: string, interfaces: readonly string[]): Promise<Record<string, SysfsReadings>> {
  const out: Record<string, SysfsReadings> = {};
  for (const name of interfaces) {
    const dir = path.join(root, 'class', 'net', name);
    const entries = await Promise.all([
      readOptional(path.join(dir, 'speed')),
      readOptional(path.join(dir, 'device', 'numa_node')),
      readOptional(path.join(dir, 'device', 'vendor')),
      readOptional(path.join(dir, 'device', 'device')),
      readOptional(path.join(dir, 'device', 'uevent')),
      readOptional(path.join(dir, 'device', 'sriov_totalvfs')),
      linkOptional(path.join(dir, 'device', 'physfn')),
    ]);
    const [speed, numaNode, vendor, device, uevent, sriovTotalVfs, physfn] = entries;
    const r: { -readonly [K in keyof SysfsReadings]: SysfsReadings[K] } = {};
    if (speed !== undefined) r.speed = speed;
    if (numaNode !== undefined) r.numaNode = numaNode;
    if (vendor !== undefined) r.vendor = vendor;
    if (device !== undefined) r.device = device;
    if (uevent !== undefined) r.uevent = uevent;
    if (sriovTotalVfs !== undefined) r.sriovTotalVfs = sriovTotalVfs;
    if (physfn !== undefined) r.physfn = physfn;
    out[name] = r;
  }
  return out;
}

/** The machine the agent runs on: `ip` from PATH, sysfs at `/sys`. */
export function localHost(options: { ipCommand?: string; sysfsRoot?: string } = {}): HostOps {
  const ip = options.ipCommand ?? 'ip';
  const root = options.sysfsRoot ?? '/sys';
  return {
    ip: (args, stdin) => run(ip, stdin === undefined ? { args } : { args, stdin }),
    sysfs: (interfaces) => readSysfs(root, interfaces),
  };
}
