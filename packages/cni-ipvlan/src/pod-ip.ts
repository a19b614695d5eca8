// Pod-side routing with iproute2, run against the pod's network namespace from outside it: `ip -n <name>` for
// namespaces under /run/netns, `nsenter --net=<path> ip` for any other path (e.g. /proc/<pid>/ns/net). Never an
// in-process setns. Commands go through `ip -batch -`, one exec per address family.
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { CNI_OTHER_ERROR, CniFailure } from '@multinic/cni-skel';
import type { Environment } from '@multinic/cni-skel';
import type { PodRoutePlan } from '@multinic/netconf';
import { routeCommands } from '@multinic/netconf';

/** Where iproute2 and util-linux live when PATH is empty or lacks them (a CNI plugin may run with a bare environment). */
const SYSTEM_DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];
const NAMED_NETNS_DIRS = ['/run/netns', '/var/run/netns'];

/** The first executable `name` on PATH, then in the system directories. */
export function systemTool(name: string, environ: Environment): string {
  const dirs = [...(environ['PATH'] ?? '').split(':').filter((d) => d !== ''), ...SYSTEM_DIRS];
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // next
    }
  }
  throw new CniFailure({
    code: CNI_OTHER_ERROR,
    msg: `${name} not found on PATH or in ${SYSTEM_DIRS.join(', ')}: install ${name === 'ip' ? 'iproute2' : 'util-linux'} on the node`,
  });
}

/** argv that runs `ip <args>` inside the namespace at `netns`. */
export function ipInNetns(netns: string, environ: Environment): string[] {
  const dir = path.dirname(netns);
  if (NAMED_NETNS_DIRS.includes(dir)) return [systemTool('ip', environ), '-n', path.basename(netns)];
  return [systemTool('nsenter', environ), `--net=${netns}`, systemTool('ip', environ)];
}

export interface IpBatch {
  readonly netns: string;
  /** `-4` or `-6`. */
  readonly family: string;
  /** One ip command per line, without the leading `ip`. */
  readonly lines: readonly string[];
  /** Keep going after a failed line (used to undo: what is already gone is fine). */
  readonly force?: boolean;
  readonly environ: Environment;
}

/** Runs one `ip -batch -`; a failure names the namespace and carries ip's own message. */
export function runIpBatch(batch: IpBatch): Promise<void> {
  const [file, ...prefix] = ipInNetns(batch.netns, batch.environ);
  const argv = [...prefix, batch.family, ...(batch.force === true ? ['-force'] : []), '-batch', '-'];
  return new Promise((resolve, reject) => {
    const child = spawn(file ?? 'ip', argv, { stdio: ['pipe', 'ignore', 'pipe'] });
    const err: Buffer[] = [];
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) =>
      reject(new CniFailure({ code: CNI_OTHER_ERROR, msg: `could not run ${file}: ${e.message}`, cause: e })),
    );
    child.on('close', (code) => {
      if (code === 0 || batch.force === true) resolve();
      else
        reject(
          new CniFailure({
            code: CNI_OTHER_ERROR,
            msg: `pod routes in ${batch.netns}: ip ${batch.family} failed`,
            details: Buffer.concat(err).toString('utf8').trim(),
          }),
        );
    });
    child.stdin.end(`${batch.lines.join('\n')}\n`);
  });
}

/** `routeCommands` argv lists grouped by their leading family flag, as batch lines. */
export function batchesOf(commands: readonly (readonly string[])[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [family = '-4', ...rest] of commands) {
    const lines = out.get(family) ?? [];
    lines.push(rest.join(' '));
    out.set(family, lines);
  }
  return out;
}

/** The commands that undo a plan's source rules (routes in the per-NIC tables go away with their interfaces). */
export function ruleRemovals(plan: PodRoutePlan): string[][] {
  return plan.rules.map((r) => [
    r.from.includes(':') ? '-6' : '-4',
    'rule',
    'del',
    'from',
    r.from,
    'lookup',
    String(r.table),
    'priority',
    String(r.priority),
  ]);
}

/** Applies the pod's tables, rules and multipath routes. */
export async function applyPodRoutes(netns: string, plan: PodRoutePlan, environ: Environment): Promise<void> {
  for (const [family, lines] of batchesOf(routeCommands(plan))) await runIpBatch({ netns, family, lines, environ });
}

/** Removes the pod's source rules; missing ones are fine. */
export async function removePodRules(netns: string, plan: PodRoutePlan, environ: Environment): Promise<void> {
  for (const [family, lines] of batchesOf(ruleRemovals(plan)))
    await runIpBatch({ netns, family, lines, force: true, environ });
}

/** Names of the links inside the namespace (`ip -j link show`); an empty list when the namespace cannot be read. */
export function listPodLinks(netns: string, environ: Environment): Promise<string[]> {
  const [file, ...prefix] = ipInNetns(netns, environ);
  return new Promise((resolve) => {
    execFile(file ?? 'ip', [...prefix, '-j', 'link', 'show'], { encoding: 'utf8' }, (err, stdout) => {
      if (err !== null) return resolve([]);
      try {
        resolve((JSON.parse(stdout) as { ifname?: string }[]).map((l) => l.ifname ?? '').filter((n) => n !== ''));
      } catch {
        resolve([]);
      }
    });
  });
}

/** Deletes links inside the namespace; missing ones are fine. */
export function removePodLinks(netns: string, names: readonly string[], environ: Environment): Promise<void> {
  return runIpBatch({ netns, family: '-4', lines: names.map((n) => `link del ${n}`), force: true, environ });
}
