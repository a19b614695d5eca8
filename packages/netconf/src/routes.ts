import type { IpAddress, IpPrefix, Result } from '@multinic/cidr-core';
import { address, contains, defaultDestination, formatIp, formatNet, hostPrefix, prefix } from './address.js';

/** A route as the network declares it (CNI route shape): `gw` absent = on-link. */
export interface NetworkRoute {
  readonly dst: string;
  readonly gw?: string | undefined;
}

/** One address of a pod interface: the address, its interface (vlan) block, its gateway. */
export interface PodAddressing {
  readonly address: IpAddress;
  /** The interface (vlan) block: the pod sees all of it as on-link. */
  readonly vlan: IpPrefix;
  readonly gateway?: IpAddress;
}

/** One pod interface as route planning sees it. */
export interface PodNicAddressing extends PodAddressing {
  /** Pod-side interface name, e.g. `net1-0`. */
  readonly ifName: string;
  /** A dual-stack NIC's address of the other family (ADR 0006): its own routes and rule, in the NIC's one table. */
  readonly other?: PodAddressing | undefined;
}

/** One address of one pod NIC: what routes and rules are planned for (a dual-stack NIC has two). */
interface Leg extends PodAddressing {
  /** The NIC's index (its delegate, its table). */
  readonly nic: number;
  readonly ifName: string;
}

function legsOf(nics: readonly PodNicAddressing[]): Leg[] {
  return nics.flatMap((n, nic) => {
    const first: Leg = {
      nic,
      ifName: n.ifName,
      address: n.address,
      vlan: n.vlan,
      ...(n.gateway === undefined ? {} : { gateway: n.gateway }),
    };
    return n.other === undefined ? [first] : [first, { ...n.other, nic, ifName: n.ifName }];
  });
}

export interface Nexthop {
  readonly via?: string;
  readonly dev: string;
}

export interface MultipathRoute {
  readonly dst: string;
  readonly nexthops: readonly Nexthop[];
}

export interface TableRoute {
  readonly dst: string;
  readonly via?: string;
  readonly dev: string;
  readonly scope?: 'link';
  readonly src?: string;
}

export interface RouteTable {
  readonly table: number;
  readonly dev: string;
  readonly routes: readonly TableRoute[];
}

export interface SourceRule {
  readonly priority: number;
  readonly from: string;
  readonly table: number;
}

export interface SkippedRoute {
  readonly dst: string;
  readonly gw?: string | undefined;
  readonly reason: string;
}

/** Everything the pod's routing needs beyond what each delegate's IPAM installs. */
export interface PodRoutePlan {
  /** Single-path network routes, per pod NIC (index = NIC order): they go into that delegate's static IPAM. */
  readonly perNic: readonly (readonly NetworkRoute[])[];
  /** Destinations reachable through several NICs: one multipath route each, in the main table. */
  readonly multipath: readonly MultipathRoute[];
  /**
   * Source policy routing: one table per NIC, selected by one rule per address of the NIC (`from <pod ip> lookup
   * <table>`; a dual-stack NIC's two rules name the same table). Empty when disabled.
   */
  readonly rules: readonly SourceRule[];
  readonly tables: readonly RouteTable[];
  /** Network routes this pod cannot use (no NIC on the gateway's network), with the reason. */
  readonly skipped: readonly SkippedRoute[];
}

export interface PolicyRoutingOptions {
  /** Table of NIC 0; NIC i uses `tableBase + i`. Default 100. */
  readonly tableBase?: number;
  /** Priority of NIC 0's rule; NIC i uses `priorityBase + i`. Default 1000. */
  readonly priorityBase?: number;
}

export interface PlanPodRoutesInput {
  readonly nics: readonly PodNicAddressing[];
  readonly routes?: readonly NetworkRoute[];
  /** `false` turns source policy routing off. */
  readonly policyRouting?: PolicyRoutingOptions | false;
}

interface ParsedRoute {
  readonly dst: IpPrefix;
  readonly gw?: IpAddress;
  readonly raw: NetworkRoute;
}

function parseRoute(route: NetworkRoute, i: number): Result<ParsedRoute> {
  const dst = prefix(route.dst, `routes[${i}].dst`);
  if (!dst.ok) return dst;
  if (route.gw === undefined || route.gw === '') return { ok: true, value: { dst: dst.value, raw: route } };
  const gw = address(route.gw, `routes[${i}].gw`);
  if (!gw.ok) return gw;
  if (gw.value.family !== dst.value.family) {
    return {
      ok: false,
      error: `routes[${i}]: gateway ${route.gw} and destination ${route.dst} are of different IP families`,
    };
  }
  return { ok: true, value: { dst: dst.value, gw: gw.value, raw: route } };
}

/**
 * The pod addresses (legs) a route can use: the one whose network holds the gateway; for a route without a gateway
 * every one of the family (through that address's gateway when it has one, on-link otherwise: see `viaOf`).
 */
function usableLegs(route: ParsedRoute, legs: readonly Leg[]): Leg[] {
  return legs.filter((leg) =>
    route.gw === undefined ? leg.address.family === route.dst.family : contains(leg.vlan, route.gw),
  );
}

/** The next hop of a route on one leg: its own gateway; for a route without one, the leg's gateway (none: on-link). */
function viaOf(route: ParsedRoute, leg: Leg): string | undefined {
  if (route.gw !== undefined) return formatIp(route.gw);
  return leg.gateway === undefined ? undefined : formatIp(leg.gateway);
}

interface Grouped {
  readonly dst: string;
  readonly hops: { nic: number; via?: string }[];
}

function groupByDestination(routes: readonly ParsedRoute[], legs: readonly Leg[], skipped: SkippedRoute[]): Grouped[] {
  const groups = new Map<string, Grouped>();
  for (const route of routes) {
    const usable = usableLegs(route, legs);
    const dst = formatNet(route.dst);
    if (usable.length === 0) {
      const nets = legs.map((n) => formatNet(n.vlan)).join(', ') || 'none';
      const reason =
        route.gw === undefined
          ? `the pod has no IPv${route.dst.family} NIC for this on-link route`
          : `gateway ${route.raw.gw ?? ''} is on none of the pod's NIC networks (${nets})`;
      skipped.push({ ...route.raw, reason });
      continue;
    }
    const group = groups.get(dst) ?? { dst, hops: [] };
    for (const leg of usable) {
      const via = viaOf(route, leg);
      const nic = leg.nic;
      if (!group.hops.some((h) => h.nic === nic && h.via === via))
        group.hops.push(via === undefined ? { nic } : { nic, via });
    }
    groups.set(dst, group);
  }
  return [...groups.values()];
}

/** One NIC's table: for each of its addresses (legs) the on-link network, the network routes, the default route. */
function tablesFor(nics: readonly PodNicAddressing[], groups: readonly Grouped[], tableBase: number): RouteTable[] {
  return nics.map((nic, i) => {
    const routes: TableRoute[] = [];
    for (const leg of legsOf([nic])) {
      const family = leg.address.family;
      routes.push({ dst: formatNet(leg.vlan), dev: nic.ifName, scope: 'link', src: formatIp(leg.address) });
      const fallback = defaultDestination(family);
      for (const group of groups) {
        if (familyOfText(group.dst) !== family || (leg.gateway !== undefined && group.dst === fallback)) continue;
        for (const hop of group.hops.filter((h) => h.nic === i)) {
          if (!routes.some((r) => r.dst === group.dst))
            routes.push(
              hop.via === undefined
                ? { dst: group.dst, dev: nic.ifName }
                : { dst: group.dst, via: hop.via, dev: nic.ifName },
            );
        }
      }
      if (leg.gateway !== undefined) routes.push({ dst: fallback, via: formatIp(leg.gateway), dev: nic.ifName });
    }
    return { table: tableBase + i, dev: nic.ifName, routes };
  });
}

function familyOfText(text: string): 4 | 6 {
  return text.includes(':') ? 6 : 4;
}

function checkGateways(nics: readonly PodNicAddressing[]): Result<true> {
  for (const nic of legsOf(nics)) {
    if (nic.gateway !== undefined && !contains(nic.vlan, nic.gateway)) {
      return {
        ok: false,
        error: `${nic.ifName}: gateway ${formatIp(nic.gateway)} is not inside the interface network ${formatNet(nic.vlan)}`,
      };
    }
    if (!contains(nic.vlan, nic.address)) {
      return {
        ok: false,
        error: `${nic.ifName}: address ${formatIp(nic.address)} is not inside the interface network ${formatNet(nic.vlan)}`,
      };
    }
  }
  return { ok: true, value: true };
}

/**
 * Plans the pod's routes: each network route goes to the NIC whose network holds its gateway; a route without a
 * gateway goes to every NIC of the family, through each NIC's own gateway (the agent's per-NIC gateway) or on-link
 * where a NIC has none; a destination reachable through several NICs becomes one multipath route (ECMP over the
 * gateways);
 * and each NIC gets a source policy-routing table (its on-link network, the network routes through it, a
 * default route via its gateway) selected by `from <pod ip> lookup <table>`, so replies leave through the NIC
 * they arrived on.
 */
export function planPodRoutes(input: PlanPodRoutesInput): Result<PodRoutePlan> {
  const checked = checkGateways(input.nics);
  if (!checked.ok) return checked;
  const parsed: ParsedRoute[] = [];
  for (const [i, route] of (input.routes ?? []).entries()) {
    const p = parseRoute(route, i);
    if (!p.ok) return p;
    parsed.push(p.value);
  }
  const skipped: SkippedRoute[] = [];
  const legs = legsOf(input.nics);
  const groups = groupByDestination(parsed, legs, skipped);
  const perNic: NetworkRoute[][] = input.nics.map(() => []);
  const multipath: MultipathRoute[] = [];
  for (const group of groups) {
    const [only, ...more] = group.hops;
    if (only !== undefined && more.length === 0) {
      perNic[only.nic]?.push(only.via === undefined ? { dst: group.dst } : { dst: group.dst, gw: only.via });
      continue;
    }
    multipath.push({
      dst: group.dst,
      nexthops: group.hops.map((h) => ({
        ...(h.via === undefined ? {} : { via: h.via }),
        dev: input.nics[h.nic]?.ifName ?? '',
      })),
    });
  }
  if (input.policyRouting === false) return { ok: true, value: { perNic, multipath, rules: [], tables: [], skipped } };
  const tableBase = input.policyRouting?.tableBase ?? 100;
  const priorityBase = input.policyRouting?.priorityBase ?? 1000;
  // One rule per address, both of a dual-stack NIC to its one table.
  const rules = legs.map((leg) => ({
    priority: priorityBase + leg.nic,
    from: hostPrefix(leg.address),
    table: tableBase + leg.nic,
  }));
  return { ok: true, value: { perNic, multipath, rules, tables: tablesFor(input.nics, groups, tableBase), skipped } };
}

/** Table ids the kernel reserves (`local`, `main`, `default`) or that mean "unspecified" (0): never handed out. */
const RESERVED_TABLES: ReadonlySet<number> = new Set([0, 253, 254, 255]);
/** The highest rule priority below the kernel's `main` (32766) and `default` (32767) rules. */
const MAX_RULE_PRIORITY = 32765;

export interface PlaceTablesInput {
  /** Table ids in use in the pod's network namespace (by any rule or route), other than this attachment's own. */
  readonly used: ReadonlySet<number>;
  /** This attachment's rules already in the namespace (a repeated ADD): `from` (as in the plan) → its table, kept. */
  readonly kept?: ReadonlyMap<string, number>;
  /** Lowest table id handed out. Default 100. */
  readonly tableBase?: number;
  /** The rule of table `tableBase + k` gets priority `priorityBase + k`. Default 1000. */
  readonly priorityBase?: number;
}

/** Planned table → the table a kept rule of it is in: every rule of that table (a dual-stack NIC's other address) follows. */
function keptTables(rules: readonly SourceRule[], kept: ReadonlyMap<string, number> | undefined): Map<number, number> {
  const out = new Map<number, number>();
  for (const rule of rules) {
    const table = kept?.get(rule.from);
    if (table !== undefined && !out.has(rule.table)) out.set(rule.table, table);
  }
  return out;
}

/**
 * Gives the plan's policy-routing tables ids that are free in the pod's namespace: each NIC's table takes the lowest
 * id ≥ `tableBase` that no rule or route there uses (a kept table stays), and its rule the priority `priorityBase +
 * (table − tableBase)`. Several multinic attachments of one pod (and other plugins' tables) thus never share a
 * table: Multus runs a pod's attachments one after the other, so each ADD sees the tables of the ones before it.
 */
export function placeTables(plan: PodRoutePlan, input: PlaceTablesInput): Result<PodRoutePlan> {
  const tableBase = input.tableBase ?? 100;
  const priorityBase = input.priorityBase ?? 1000;
  const taken = new Set(input.used);
  for (const id of input.kept?.values() ?? []) taken.add(id);
  const renumbered = keptTables(plan.rules, input.kept);
  let next = tableBase;
  const rules: SourceRule[] = [];
  for (const rule of plan.rules) {
    let table = input.kept?.get(rule.from) ?? renumbered.get(rule.table);
    if (table === undefined) {
      while (taken.has(next) || RESERVED_TABLES.has(next)) next += 1;
      table = next;
      taken.add(table);
    }
    const priority = priorityBase + table - tableBase;
    if (priority < 1 || priority > MAX_RULE_PRIORITY) {
      return {
        ok: false,
        error: `no rule priority for table ${table} of ${rule.from}: priority ${priority} is outside 1..${MAX_RULE_PRIORITY} (tables ≥ ${tableBase} in use: ${[...input.used].filter((t) => t >= tableBase).length})`,
      };
    }
    renumbered.set(rule.table, table);
    rules.push({ priority, from: rule.from, table });
  }
  const tables = plan.tables.map((t) => ({ ...t, table: renumbered.get(t.table) ?? t.table }));
  return { ok: true, value: { ...plan, rules, tables } };
}

function familyFlag(text: string): string {
  return text.includes(':') ? '-6' : '-4';
}

/**
 * The plan as `ip` argument lists, in the order they must run: each NIC's table (on-link route before the
 * default route through it), then the rules, then the multipath routes of the main table.
 */
export function routeCommands(plan: PodRoutePlan): string[][] {
  const out: string[][] = [];
  for (const table of plan.tables) {
    for (const r of table.routes) {
      out.push([
        familyFlag(r.dst),
        'route',
        'replace',
        r.dst,
        ...(r.via === undefined ? [] : ['via', r.via]),
        'dev',
        r.dev,
        ...(r.scope === undefined ? [] : ['scope', r.scope]),
        ...(r.src === undefined ? [] : ['src', r.src]),
        'table',
        String(table.table),
      ]);
    }
  }
  for (const rule of plan.rules) {
    out.push([
      familyFlag(rule.from),
      'rule',
      'add',
      'from',
      rule.from,
      'lookup',
      String(rule.table),
      'priority',
      String(rule.priority),
    ]);
  }
  for (const route of plan.multipath) {
    const hops = route.nexthops.flatMap((h) => [
      'nexthop',
      ...(h.via === undefined ? [] : ['via', h.via]),
      'dev',
      h.dev,
    ]);
    out.push([familyFlag(route.dst), 'route', 'replace', route.dst, ...hops]);
  }
  return out;
}
