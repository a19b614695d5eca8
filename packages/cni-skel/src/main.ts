// The process binding of the skeleton: the only place that reads process.env, stdin, and writes stdout.
import { appendFileSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { startupSnapshot } from 'node:v8';
import { parseWithoutCompiling } from '@multinic/crd-types';
import { toCniError } from './errors.js';
import type { CniResult } from '@multinic/crd-types';
import { LATEST_CNI_VERSION, runCni } from './skel.js';
import { DEVELOPMENT_VERSION } from './version.js';
import type { CniIo, CniPlugin } from './skel.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY === true) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Whether two paths name the same file (for namespaces: the same nsfs inode); false when either cannot be read. */
function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** The `CniIo` of this process. */
export function processIo(): CniIo {
  return {
    env: process.env,
    argv: process.argv.slice(2),
    readStdin,
    writeStdout: (text) => void process.stdout.write(text),
    writeStderr: (text) => void process.stderr.write(text),
    appendFile: (file, text) => appendFileSync(file, text),
    now: () => new Date(),
    uptimeMs: () => performance.now(),
    isOwnNetns: (netns) => sameFile(netns, '/proc/self/ns/net'),
  };
}

/**
 * Runs `plugin` as this process's CNI plugin and exits with its code (the `bin` entry of a plugin). While a V8
 * startup snapshot is being built (build-sea.ts --snapshot), the run is deferred to the snapshot's main function:
 * the modules, zod schemas included, are then initialised once at build time instead of at every execution.
 */
export function pluginMain(plugin: CniPlugin): void {
  parseWithoutCompiling();
  if (startupSnapshot.isBuildingSnapshot()) {
    startupSnapshot.setDeserializeMainFunction(() => runProcess(plugin));
    // The snapshot is taken once the event loop is empty, i.e. after the warm-up.
    warmUp(plugin).catch((err: unknown) => {
      process.stderr.write(`${plugin.name}: the snapshot warm-up failed: ${String(err)}\n`);
      process.exitCode = 1;
    });
    return;
  }
  runProcess(plugin);
}

/** A 1.1.0 result with two pod interfaces, converted to 1.0.0 by the warm-up's ADD. */
const WARM_UP_RESULT: CniResult = {
  cniVersion: '1.1.0',
  interfaces: [
    { name: 'net1-0', mac: '02:00:00:00:00:01', sandbox: '/run/netns/warm-up' },
    { name: 'net1-1', mac: '02:00:00:00:00:02', sandbox: '/run/netns/warm-up' },
  ],
  ips: [
    { address: '192.168.0.2/18', interface: 0 },
    { address: 'fd00::2/64', gateway: 'fd00::1', interface: 1 },
  ],
  routes: [{ dst: '10.0.0.0/8', gw: '192.168.0.1' }],
};

/** One ADD through the skeleton (environment, configuration, logger, result conversion) with a stub handler, then the plugin's own warm-up. */
async function warmUp(plugin: CniPlugin): Promise<void> {
  const io: CniIo = {
    env: {
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'warm-up',
      CNI_NETNS: '/run/netns/warm-up',
      CNI_IFNAME: 'net1',
      CNI_PATH: '/opt/cni/bin',
      CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=warm-up',
    },
    argv: [],
    readStdin: () =>
      Promise.resolve(JSON.stringify({ cniVersion: '1.0.0', name: 'warm-up', type: plugin.name, logLevel: 'error' })),
    writeStdout: () => undefined,
    writeStderr: () => undefined,
    appendFile: () => undefined,
    now: () => new Date(0),
  };
  const code = await runCni({ ...plugin, add: () => Promise.resolve(WARM_UP_RESULT) }, io);
  if (code !== 0) throw new Error(`the skeleton's warm-up ADD exited ${code}`);
  await plugin.warmUp?.();
}

/**
 * The version of a plugin run as an installed package's `dist/bin.js` (npm): its package.json, next to `dist/`. The
 * single executable has its version built in and reads nothing.
 */
function installedVersion(plugin: CniPlugin): string {
  if (plugin.version !== DEVELOPMENT_VERSION) return plugin.version;
  try {
    const file = path.join(path.dirname(realpathSync(process.argv[1] ?? '')), '..', 'package.json');
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : plugin.version;
  } catch {
    return plugin.version;
  }
}

function runProcess(plugin: CniPlugin): void {
  const exit = (code: number): void => {
    // stdout is a pipe or a file for a CNI plugin: both are written synchronously on Linux, so nothing is lost.
    process.exitCode = code;
    process.stdout.write('', () => process.exit(code));
  };
  runCni({ ...plugin, version: installedVersion(plugin) }, processIo()).then(exit, (err: unknown) => {
    process.stdout.write(`${JSON.stringify(toCniError(err, LATEST_CNI_VERSION))}\n`);
    exit(1);
  });
}
