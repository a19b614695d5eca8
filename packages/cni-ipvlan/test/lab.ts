// Throw-away network namespaces for tests: a "host" namespace whose NICs are veth pairs with both ends inside it,
// and a "pod" namespace. The machine's own interfaces are never touched. The reference plugins run inside the
// host namespace through small wrappers on a private CNI_PATH — exactly how CNI_PATH works, no code hook.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { addNetns, deleteNetns } from '@multinic/testenv';

export const REFERENCE_PLUGINS = '/usr/lib/cni';
const WRAPPED = ['macvlan', 'ipvlan', 'host-device', 'static'];

export interface Lab {
  readonly host: string;
  readonly pod: string;
  /** `/run/netns/<pod>`, what a runtime passes as CNI_NETNS. */
  readonly podPath: string;
  /** A CNI_PATH whose plugins run in the host namespace. */
  readonly cniPath: string;
  readonly dir: string;
}

const live = new Set<Lab>();

export function sh(
  command: string,
  args: readonly string[],
  input = '',
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(command, args, { input, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function ip(...args: string[]): string {
  const r = sh('ip', args);
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Link names in a namespace. */
export function links(ns: string): string[] {
  return (JSON.parse(ip('-n', ns, '-j', 'link', 'show')) as { ifname: string }[]).map((l) => l.ifname);
}

/** IPv4/IPv6 addresses (with prefix) of a link in a namespace; empty when the link does not exist. */
export function addresses(ns: string, link: string): string[] {
  const r = sh('ip', ['-n', ns, '-j', 'addr', 'show', 'dev', link]);
  if (r.status !== 0) return [];
  const info = JSON.parse(r.stdout) as {
    addr_info: { family: string; local: string; prefixlen: number; scope: string }[];
  }[];
  return (info[0]?.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
}

export function createLab(nics: readonly string[]): Lab {
  const id = randomBytes(4).toString('hex');
  const host = `mn-cni-${id}`;
  const pod = `mn-cni-${id}-pod`;
  const dir = mkdtempSync(path.join(tmpdir(), 'mn-cni-lab-'));
  const lab: Lab = { host, pod, podPath: `/run/netns/${pod}`, cniPath: dir, dir };
  live.add(lab);
  addNetns(host);
  addNetns(pod);
  for (const nic of nics) {
    ip('-n', host, 'link', 'add', nic, 'type', 'veth', 'peer', 'name', `${nic}p`);
    ip('-n', host, 'link', 'set', nic, 'up');
    ip('-n', host, 'link', 'set', `${nic}p`, 'up');
  }
  const ipBin = sh('sh', ['-c', 'command -v ip']).stdout.trim();
  for (const plugin of WRAPPED) {
    const file = path.join(dir, plugin);
    writeFileSync(file, `#!/bin/sh\nexec ${ipBin} netns exec ${host} ${REFERENCE_PLUGINS}/${plugin} "$@"\n`);
    chmodSync(file, 0o755);
  }
  return lab;
}

export function destroyLab(lab: Lab): void {
  deleteNetns(lab.pod);
  deleteNetns(lab.host);
  rmSync(lab.dir, { recursive: true, force: true });
  live.delete(lab);
}

/** For afterAll: whatever a failed test left behind. */
export function destroyAllLabs(): void {
  for (const lab of [...live]) destroyLab(lab);
}
