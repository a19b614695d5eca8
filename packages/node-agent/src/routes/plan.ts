// This node's part of the L3 route plan, and the `ip -batch` lines that turn what the kernel has into it.
// The routes and rules themselves come from cidr-core (routesForHost / rulesForHost), once per family plan of the
// network (a dual-stack network's CIDR carries the second family in otherFamily, ADR 0006: its routes go via the
// peers' addresses of that family on the same NIC networks); the agent only picks the table id (one per network,
// holding both families, the lowest free one >= routes.tableBase, not colliding with tables in use: ADR 0002,
// amendment 1) and diffs against `ip -N -j` output of both families.
import type { NetworkPlan, PlannedRoute } from '@multinic/cidr-core';
import { formatPrefix, parsePrefix, routeTableName, routesForHost, rulesForHost } from '@multinic/cidr-core';
import { z } from 'zod';

export interface DesiredRule {
  readonly from: string;
  readonly table: number;
}

export interface NetworkRoutes {
  readonly network: string;
  readonly table: number;
  readonly routes: readonly PlannedRoute[];
  readonly rules: readonly DesiredRule[];
}

/** A CIDR spec: the first family's plan, and a dual-stack network's second family beside it (ADR 0006 decision 3). */
export type FamilyPlans = NetworkPlan & { readonly otherFamily?: NetworkPlan | undefined };

/** The plans of a network, one per family, the first family first. */
export function familyPlans(spec: FamilyPlans): NetworkPlan[] {
  const { otherFamily, ...first } = spec;
  return otherFamily === undefined ? [first] : [first, otherFamily];
}

/**
 * The routes and rules of one network on one host, all in the network's table: every family's routes (to the peers'
 * pod blocks of that family via their address of that family) and a rule per vlan CIDR of each family.
 */
export function desiredRoutes(options: {
  network: string;
  plans: readonly NetworkPlan[];
  hostName: string;
  table: number;
}): NetworkRoutes {
  const { plans, hostName, table } = options;
  const routes = plans.flatMap((plan) => routesForHost(plan, hostName, table));
  const seen = new Set<string>();
  const rules: DesiredRule[] = [];
  for (const rule of plans.flatMap((plan) => rulesForHost(plan, hostName, table))) {
    if (seen.has(rule.from)) continue;
    seen.add(rule.from);
    rules.push(rule);
  }
  return { network: options.network, table, routes, rules };
}

/** True when a plan of the network (any family) puts this host on at least one of its interface networks. */
export function planIncludesHost(plans: readonly NetworkPlan[], hostName: string): boolean {
  return plans.some((plan) => plan.cidr.some((entry) => entry.hosts.some((h) => h.hostName === hostName)));
}

export interface AssignTablesInput {
  /** Networks that need a table. */
  readonly networks: readonly string[];
  /** Tables assigned before (kept while the network exists). */
  readonly previous: Readonly<Record<string, number>>;
  /** Table ids used by anyone else (kernel routes and rules, rt_tables names). */
  readonly used: ReadonlySet<number>;
  /** Lowest id to hand out. */
  readonly base: number;
}

/** A table id per network: the previous one when it had one, else the lowest free id ≥ base (in name order). */
export function assignTables(input: AssignTablesInput): Record<string, number> {
  const out: Record<string, number> = {};
  const taken = new Set(input.used);
  for (const network of input.networks) {
    const prev = input.previous[network];
    if (prev !== undefined) {
      out[network] = prev;
      taken.add(prev);
    }
  }
  let next = input.base;
  for (const network of [...input.networks].sort()) {
    if (out[network] !== undefined) continue;
    while (taken.has(next) || next === 253 || next === 254 || next === 255) next += 1;
    out[network] = next;
    taken.add(next);
  }
  return out;
}

const IpRouteSchema = z.looseObject({
  dst: z.string(),
  gateway: z.string().optional(),
  dev: z.string().optional(),
  table: z.string().optional(),
  type: z.string().optional(),
});
export type IpRoute = z.output<typeof IpRouteSchema>;
export const IpRouteListSchema = z.array(IpRouteSchema);

const IpRuleSchema = z.looseObject({
  priority: z.number().int(),
  src: z.string().optional(),
  srclen: z.number().int().optional(),
  table: z.string().optional(),
});
/** A kernel rule; `family` 6 when it came from `ip -6 rule show` (the JSON does not say). */
export type IpRule = z.output<typeof IpRuleSchema> & { readonly family?: 4 | 6 };
export const IpRuleListSchema = z.array(IpRuleSchema);

/** `10.0.0.0` + 24 or `10.0.0.5` → canonical prefix text (host routes get /32 or /128). */
export function canonicalPrefix(dst: string, length?: number): string {
  const text = dst.includes('/') ? dst : `${dst}/${length ?? (dst.includes(':') ? 128 : 32)}`;
  const parsed = parsePrefix(text, { normalize: true });
  return parsed.ok ? formatPrefix(parsed.value) : text;
}

export interface CurrentState {
  /** Routes of the network's table (`ip -N -j route show table <t>`, both families). */
  readonly routes: readonly IpRoute[];
  /** All policy rules (`ip -N -j rule show`, both families). */
  readonly rules: readonly IpRule[];
}

/** Table ids in use, from `ip -N -j route show table all` and `ip -N -j rule show`. */
export function tablesInUse(routes: readonly IpRoute[], rules: readonly IpRule[]): Set<number> {
  const used = new Set<number>();
  for (const r of [...routes, ...rules]) {
    const id = Number(r.table ?? '254');
    if (Number.isInteger(id)) used.add(id);
  }
  return used;
}

/** The `from` of a kernel rule as `ip rule` takes it back: its prefix, or `all` (IPv4) / `::/0` (IPv6). */
function ruleFrom(rule: IpRule): string {
  if (rule.src === undefined || rule.src === 'all') return rule.family === 6 ? '::/0' : 'all';
  return canonicalPrefix(rule.src, rule.srclen);
}

function sameAddress(kernel: string | undefined, planned: string): boolean {
  return kernel !== undefined && canonicalPrefix(kernel) === canonicalPrefix(planned);
}

/**
 * Batch lines split by family: `ip rule` does not take the family from the address (without `-6` an IPv6 `from` is
 * "Invalid source address"), so the IPv6 lines go to `ip -6 -batch`. A line is IPv6 when it holds a `:` — only IPv6
 * addresses do (interface names cannot, table ids are numbers).
 */
export function linesByFamily(lines: readonly string[]): { v4: string[]; v6: string[] } {
  return { v4: lines.filter((l) => !l.includes(':')), v6: lines.filter((l) => l.includes(':')) };
}

/** `ip -batch` lines turning `current` into `desired` (add what is missing, replace what differs, delete what is stale). */
export function routeBatch(desired: NetworkRoutes, current: CurrentState, priority: number): string[] {
  const lines: string[] = [];
  const table = desired.table;
  const have = new Map(
    current.routes.filter((r) => r.type === undefined || r.type === 'unicast').map((r) => [canonicalPrefix(r.dst), r]),
  );
  const want = new Set<string>();
  for (const route of desired.routes) {
    const dst = canonicalPrefix(route.dst);
    want.add(dst);
    const r = have.get(dst);
    if (r === undefined || !sameAddress(r.gateway, route.via) || r.dev !== route.dev)
      lines.push(`route replace ${dst} via ${route.via} dev ${route.dev} table ${table}`);
  }
  for (const dst of have.keys()) if (!want.has(dst)) lines.push(`route del ${dst} table ${table}`);
  const ours = current.rules.filter((r) => r.table === String(table));
  const wantRules = new Set(desired.rules.map((r) => canonicalPrefix(r.from)));
  for (const rule of ours) {
    const from = ruleFrom(rule);
    if (!wantRules.has(from) || rule.priority !== priority)
      lines.push(`rule del from ${from} lookup ${table} priority ${rule.priority}`);
  }
  for (const from of wantRules) {
    const present = ours.some(
      (r) => r.priority === priority && r.src !== undefined && canonicalPrefix(r.src, r.srclen) === from,
    );
    if (!present) lines.push(`rule add from ${from} lookup ${table} priority ${priority}`);
  }
  return lines;
}

/** Lines removing everything of a network's table: its routes and the rules that point at it. */
export function removalBatch(table: number, current: CurrentState): string[] {
  const routes = current.routes
    .filter((r) => r.type === undefined || r.type === 'unicast')
    .map((r) => `route del ${canonicalPrefix(r.dst)} table ${table}`);
  const rules = current.rules
    .filter((r) => r.table === String(table))
    .map((r) => `rule del from ${ruleFrom(r)} lookup ${table} priority ${r.priority}`);
  return [...routes, ...rules];
}

/** The network's table name in rt_tables.d (cidr-core's `routeTableName`, which `multinic plan` prints too). */
export function tableName(network: string): string {
  return routeTableName(network);
}

/**
 * Tables our names file records (`<id> mn-<network>`), as network → id: what a previous run had assigned, even when
 * the checkpoint is gone, so its routes are taken over or removed instead of left behind. Names that were
 * truncated cannot be mapped back and are ignored.
 */
export function tablesFromNames(names: ReadonlyMap<number, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [id, name] of names) {
    if (!name.startsWith('mn-') || name.length >= 63) continue;
    out[name.slice(3)] = id;
  }
  return out;
}
