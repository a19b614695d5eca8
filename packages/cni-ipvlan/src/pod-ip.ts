// Pod-side routing with iproute2, run against the pod's network namespace from outside it: `ip -n <name>` for
// namespaces under /run/netns, `nsenter --net=<path> ip` for any other path (e.g. /proc/<pid>/ns/net). Never an
// in-process setns. Commands go through `ip -batch -`, one exec per address family.
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { CNI_OTHER_ERROR, CniFailure } from '@multinic/cni-skel';
import type { Environment } from '@multinic/cni-skel';
import type { PodRoutePlan } from '@multinic/netconf';
import { placeTables, routeCommands } from '@multinic/netconf';

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

/**
 * The commands that undo a plan's source rules (routes in the per-NIC tables go away with their interfaces). A rule
 * is named by its `from` (the pod address) alone: ADD placed it in whichever table was free (`placePodTables`), and
 * no other rule selects this attachment's addresses.
 */
export function ruleRemovals(plan: PodRoutePlan): string[][] {
  return plan.rules.map((r) => [r.from.includes(':') ? '-6' : '-4', 'rule', 'del', 'from', r.from]);
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

/** One IPv6 address as `ip -6 -j addr show` prints it (the fields read here). */
interface KernelAddress {
  readonly local?: string;
  readonly scope?: string;
  readonly tentative?: boolean;
  readonly dadfailed?: boolean;
}

function podAddresses(netns: string, environ: Environment): Promise<{ ifname: string; addr: KernelAddress }[]> {
  const [file, ...prefix] = ipInNetns(netns, environ);
  return new Promise((resolve, reject) => {
    execFile(file ?? 'ip', [...prefix, '-6', '-j', 'addr', 'show'], { encoding: 'utf8' }, (err, stdout) => {
      if (err !== null)
        return reject(new CniFailure({ code: CNI_OTHER_ERROR, msg: `ip -6 addr show in ${netns}: ${err.message}` }));
      try {
        const links = JSON.parse(stdout || '[]') as { ifname?: string; addr_info?: KernelAddress[] }[];
        resolve(links.flatMap((l) => (l.addr_info ?? []).map((addr) => ({ ifname: l.ifname ?? '', addr }))));
      } catch (e) {
        reject(
          new CniFailure({ code: CNI_OTHER_ERROR, msg: `ip -6 addr show in ${netns}: unreadable output`, cause: e }),
        );
      }
    });
  });
}

/** How long IPv6 duplicate address detection may take before ADD fails (the reference plugins' dadSettleTimeout). */
const SETTLE_TIMEOUT_MS = 10_000;
const SETTLE_POLL_MS = 50;

/**
 * Waits until the global IPv6 addresses on `interfaces` are out of duplicate address detection, as the reference
 * plugins' `ip.SettleAddresses` does: a tentative address is no source address and answers no neighbour
 * solicitation, so the pod's first packets would fail ("Cannot assign requested address"). The reference IPAM only
 * settles when the result has an IPv6 gateway; a network without one needs this. A duplicate (dadfailed) or an
 * address still tentative after 10 s fails the ADD, naming the address.
 */
export async function settleAddresses(
  netns: string,
  interfaces: readonly string[],
  environ: Environment,
): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const mine = (await podAddresses(netns, environ)).filter(
      (a) => interfaces.includes(a.ifname) && a.addr.scope === 'global',
    );
    const failed = mine.find((a) => a.addr.dadfailed === true);
    if (failed !== undefined)
      throw new CniFailure({
        code: CNI_OTHER_ERROR,
        msg: `${failed.addr.local ?? '?'} on ${failed.ifname}: IPv6 duplicate address detection failed (another host on the network holds it); release it there or exclude it from the network`,
      });
    const tentative = mine.filter((a) => a.addr.tentative === true);
    if (tentative.length === 0) return;
    if (Date.now() > deadline)
      throw new CniFailure({
        code: CNI_OTHER_ERROR,
        msg: `IPv6 addresses still tentative after ${SETTLE_TIMEOUT_MS / 1000} s (duplicate address detection): ${tentative.map((a) => `${a.addr.local ?? '?'} on ${a.ifname}`).join(', ')}`,
      });
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
  }
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

/** A policy rule as `ip -N -j rule show` prints it (the fields read here). */
export interface KernelRule {
  readonly priority?: number;
  readonly src?: string;
  readonly srclen?: number;
  readonly table?: string;
}

/** A route as `ip -N -j route show` prints it (the fields read here); `table` is absent for the main table. */
export interface KernelRoute {
  readonly dst?: string;
  readonly gateway?: string;
  readonly dev?: string;
  readonly table?: string;
  readonly nexthops?: readonly { readonly gateway?: string; readonly dev?: string }[];
}

/** `ip <args>` inside the namespace, its JSON output parsed; an error names the command and carries ip's message. */
export function ipJsonInNetns<T>(netns: string, args: readonly string[], environ: Environment): Promise<T[]> {
  const [file, ...prefix] = ipInNetns(netns, environ);
  return new Promise((resolve, reject) => {
    execFile(file ?? 'ip', [...prefix, ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err !== null) {
        reject(
          new CniFailure({
            code: CNI_OTHER_ERROR,
            msg: `could not read the pod's routing in ${netns}: ip ${args.join(' ')} failed`,
            details: stderr.trim() || err.message,
          }),
        );
        return;
      }
      try {
        resolve(stdout.trim() === '' ? [] : (JSON.parse(stdout) as T[]));
      } catch (e) {
        reject(new CniFailure({ code: CNI_OTHER_ERROR, msg: `ip ${args.join(' ')}: output is not JSON`, cause: e }));
      }
    });
  });
}

/** The canonical `from` of a kernel rule (`10.0.0.5/32`), or undefined for `from all`. */
export function ruleFrom(rule: KernelRule): string | undefined {
  if (rule.src === undefined || rule.src === 'all') return undefined;
  return `${rule.src}/${rule.srclen ?? (rule.src.includes(':') ? 128 : 32)}`;
}

/** Every rule and every route of the namespace, both families (`-N`: tables as numbers). */
export async function readPodRouting(
  netns: string,
  environ: Environment,
): Promise<{ rules: KernelRule[]; routes: KernelRoute[] }> {
  const [rules4, rules6, routes4, routes6] = await Promise.all([
    ipJsonInNetns<KernelRule>(netns, ['-4', '-N', '-j', 'rule', 'show'], environ),
    ipJsonInNetns<KernelRule>(netns, ['-6', '-N', '-j', 'rule', 'show'], environ),
    ipJsonInNetns<KernelRoute>(netns, ['-4', '-N', '-j', 'route', 'show', 'table', 'all'], environ),
    ipJsonInNetns<KernelRoute>(netns, ['-6', '-N', '-j', 'route', 'show', 'table', 'all'], environ),
  ]);
  return { rules: [...rules4, ...rules6], routes: [...routes4, ...routes6] };
}

/**
 * The plan with policy-routing tables that are free in the pod's namespace (netconf's `placeTables`): the tables any
 * rule or route there uses are taken, except the ones this attachment's own rules (`from` its addresses: a repeated
 * ADD) point at, which are kept. Multus runs a pod's attachments one after the other and the namespace is the pod's
 * own, so no other ADD places tables there at the same time.
 */
export async function placePodTables(netns: string, plan: PodRoutePlan, environ: Environment): Promise<PodRoutePlan> {
  if (plan.rules.length === 0) return plan;
  const { rules, routes } = await readPodRouting(netns, environ);
  const ours = new Set(plan.rules.map((r) => r.from));
  const kept = new Map<string, number>();
  const used = new Set<number>();
  for (const rule of rules) {
    const table = Number(rule.table);
    if (!Number.isInteger(table)) continue;
    const from = ruleFrom(rule);
    if (from !== undefined && ours.has(from)) kept.set(from, table);
    else used.add(table);
  }
  for (const route of routes) {
    const table = Number(route.table ?? '254');
    if (Number.isInteger(table)) used.add(table);
  }
  for (const table of kept.values()) used.delete(table);
  const placed = placeTables(plan, { used, kept });
  if (!placed.ok) throw new CniFailure({ code: CNI_OTHER_ERROR, msg: `pod routes in ${netns}: ${placed.error}` });
  return placed.value;
}

function routeText(r: { dst: string; via?: string | undefined; dev: string }, table: string): string {
  return `${r.dst}${r.via === undefined ? '' : ` via ${r.via}`} dev ${r.dev} table ${table}`;
}

/** `10.0.0.0/8`, `default`, `10.0.0.5` as ip prints them → the plan's spelling. */
function kernelDst(dst: string | undefined, family: 4 | 6): string {
  if (dst === undefined || dst === 'default') return family === 6 ? '::/0' : '0.0.0.0/0';
  return dst.includes('/') ? dst : `${dst}/${family === 6 ? 128 : 32}`;
}

function familyOf(text: string): 4 | 6 {
  return text.includes(':') ? 6 : 4;
}

/**
 * What of the plan is missing from the namespace's rules and routes, one sentence each (empty: all there): every
 * source rule (`from <pod ip>`), every route of the table that rule selects, every multipath route of the main table
 * with all its next hops. Tables are found through the rules, as ADD placed them.
 */
export function missingPodRouting(
  plan: PodRoutePlan,
  kernel: { rules: readonly KernelRule[]; routes: readonly KernelRoute[] },
): string[] {
  const missing: string[] = [];
  for (const rule of plan.rules) {
    const found = kernel.rules.find((r) => ruleFrom(r) === rule.from);
    if (found?.table === undefined) {
      missing.push(`the rule "from ${rule.from} lookup <table>" is missing`);
      continue;
    }
    const planned = plan.tables.find((t) => t.table === rule.table);
    for (const route of planned?.routes ?? []) {
      const family = familyOf(route.dst);
      const present = kernel.routes.some(
        (k) =>
          k.table === found.table &&
          kernelDst(k.dst, family) === route.dst &&
          k.dev === route.dev &&
          k.gateway === route.via,
      );
      if (!present) missing.push(`the route "${routeText(route, found.table)}" is missing`);
    }
  }
  for (const route of plan.multipath) {
    const family = familyOf(route.dst);
    const k = kernel.routes.find((r) => r.table === undefined && kernelDst(r.dst, family) === route.dst);
    const hops = new Set((k?.nexthops ?? []).map((h) => `${h.gateway ?? ''} ${h.dev ?? ''}`));
    const absent = route.nexthops.filter((h) => !hops.has(`${h.via ?? ''} ${h.dev}`));
    if (absent.length > 0) {
      const text = absent.map((h) => `${h.via === undefined ? '' : `via ${h.via} `}dev ${h.dev}`).join(', ');
      missing.push(`the multipath route ${route.dst} has no next hop ${text}`);
    }
  }
  return missing;
}

/** CHECK of the pod's routing: fails naming every rule and route of the plan that is not in the namespace. */
export async function checkPodRouting(netns: string, plan: PodRoutePlan, environ: Environment): Promise<void> {
  if (plan.rules.length === 0 && plan.multipath.length === 0) return;
  const missing = missingPodRouting(plan, await readPodRouting(netns, environ));
  if (missing.length > 0)
    throw new CniFailure({ code: CNI_OTHER_ERROR, msg: `pod routing in ${netns}: ${missing.join('; ')}` });
}
