// Giving back a NIC the agent lent to a pod. host-device moves the whole NIC into the pod's network namespace on
// ADD and back on DEL, and the kernel drops the NIC's addresses (and with them every route through it) on each move:
// back on the host the NIC is down and unaddressed, discovery no longer matches it to its network, and the NIC
// could never serve a pod again. The agent records what the NIC had before it left (its last-known HostNic and the
// main-table routes through it) and, once no pod holds it and it is back, plans the commands that restore exactly
// that: pure functions of the record and `ip -j addr show`, so they are tested with fixtures.
//
// What is safe to restore: the link's up state, each recorded address that no other interface of the host has now
// (the kernel adds the connected route with it), and each recorded route through the NIC alone (`ip route add`,
// never `replace`: a route the host has now is never overwritten, the add fails and is named). Routes the kernel
// makes itself (proto kernel) come back with the addresses; multipath routes over several devices are not recorded
// (re-adding one next hop would change the others' weights, and the other devices' routes never went away).
import type { HostNic } from '@multinic/crd-types';
import { z } from 'zod';
import type { IpLink, IpRoute } from './nics.js';

/** A main-table route through one NIC, as `ip -j route show` listed it before the NIC left. */
export const RecordedRouteSchema = z.strictObject({
  family: z.union([z.literal(4), z.literal(6)]),
  dst: z.string().min(1),
  gateway: z.string().min(1).optional(),
  metric: z.number().int().min(0).optional(),
  protocol: z.union([z.string().min(1), z.number().int()]).optional(),
  scope: z.string().min(1).optional(),
  prefsrc: z.string().min(1).optional(),
  onlink: z.boolean().optional(),
});
export type RecordedRoute = z.output<typeof RecordedRouteSchema>;

/** What the agent knows about a NIC it lent: the NIC as last reported on the host, and the routes through it. */
export interface LentRecord {
  /** The last-known HostNic (without lentTo). */
  readonly nic: HostNic;
  /** The main-table routes through the NIC the last discovery before it left saw; empty when none was seen. */
  readonly routes: readonly RecordedRoute[];
  /** The pod (namespace/name) it was lent to, the last holder known. */
  readonly lentTo: string;
}

const ROUTE_FIELDS = z.looseObject({
  type: z.string().optional(),
  protocol: z.union([z.string(), z.number()]).optional(),
  metric: z.number().int().optional(),
  scope: z.string().optional(),
  prefsrc: z.string().optional(),
  flags: z.array(z.string()).optional(),
});

/** Whether a main-table route is one to record for `nic` (see the file's comment). */
function restorable(nic: string, family: 4 | 6, route: IpRoute): route is IpRoute & { dst: string } {
  if (route.dev !== nic || route.nexthops !== undefined || route.dst === undefined) return false;
  if (family === 6 && route.dst.toLowerCase().startsWith('fe80:')) return false;
  const type = route['type'];
  return (type === undefined || type === 'unicast') && route['protocol'] !== 'kernel';
}

/** The route as recorded, or undefined when it is not one to restore. */
function recorded(nic: string, family: 4 | 6, route: IpRoute): RecordedRoute | undefined {
  if (!restorable(nic, family, route)) return undefined;
  const extra = ROUTE_FIELDS.safeParse(route);
  if (!extra.success) return undefined;
  const { protocol, metric, scope, prefsrc, flags } = extra.data;
  const fields = {
    family,
    dst: route.dst,
    gateway: route.gateway,
    metric,
    protocol,
    scope: scope === 'global' || scope === 'universe' ? undefined : scope,
    prefsrc,
    onlink: flags?.includes('onlink') === true ? true : undefined,
  };
  const parsed = RecordedRouteSchema.safeParse(
    Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
  );
  return parsed.success ? parsed.data : undefined;
}

/** The routes of one family's main table that go through `nic` alone and that the kernel does not make itself. */
export function routesThrough(nic: string, family: 4 | 6, routes: readonly IpRoute[]): RecordedRoute[] {
  return routes.flatMap((route) => recorded(nic, family, route) ?? []);
}

/** `ip` arguments that add a recorded route through `nic` (add, never replace). */
export function routeAddArgs(nic: string, r: RecordedRoute): string[] {
  return [
    r.family === 6 ? '-6' : '-4',
    'route',
    'add',
    r.dst,
    ...(r.gateway === undefined ? [] : ['via', r.gateway]),
    'dev',
    nic,
    ...(r.metric === undefined ? [] : ['metric', String(r.metric)]),
    ...(r.protocol === undefined ? [] : ['proto', String(r.protocol)]),
    ...(r.scope === undefined ? [] : ['scope', r.scope]),
    ...(r.prefsrc === undefined ? [] : ['src', r.prefsrc]),
    ...(r.onlink === true ? ['onlink'] : []),
  ];
}

/** The addresses (with prefix length) a record gives the NIC back: `addresses`, else hostIP with netAddress' length. */
export function recordedAddresses(nic: HostNic): string[] {
  if (nic.addresses !== undefined && nic.addresses.length > 0) return [...nic.addresses];
  const len = nic.netAddress.split('/')[1];
  return nic.hostIP === '' || len === undefined ? [] : [`${nic.hostIP}/${len}`];
}

const addressOnly = (cidr: string): string => cidr.split('/')[0]?.toLowerCase() ?? cidr;

/** What giving a returned NIC back takes, or why the agent does not touch it. */
export type RestorePlan =
  | { readonly touch: false; readonly reason: string }
  | {
      readonly touch: true;
      /** The link is not administratively up. */
      readonly up: boolean;
      /** Recorded addresses the NIC lacks and no other interface has (`ip addr add`). */
      readonly add: readonly string[];
      /** Recorded addresses another interface of the host has now: never added. */
      readonly conflicts: readonly { readonly address: string; readonly owner: string }[];
      /** The recorded routes (added after the addresses; one that exists already is left as it is). */
      readonly routes: readonly RecordedRoute[];
    };

/**
 * The plan for a NIC that is back on the host while no pod holds it, from `ip -j addr show` of the whole host.
 * Nothing is touched when the link is not there, or when its MAC address differs from the recorded one (another
 * device under the same name is not the NIC the agent lent).
 */
export function restorePlan(record: LentRecord, links: readonly IpLink[]): RestorePlan {
  const name = record.nic.interfaceName;
  const link = links.find((l) => l.ifname === name);
  if (link === undefined) return { touch: false, reason: `${name} is not on the host` };
  const mac = record.nic.mac?.toLowerCase();
  if (mac !== undefined && link.address !== undefined && link.address.toLowerCase() !== mac)
    return {
      touch: false,
      reason: `${name} has MAC ${link.address}, the NIC lent was ${mac}: another device, not touched`,
    };
  const own = new Set((link.addr_info ?? []).map((a) => a.local.toLowerCase()));
  const owners = new Map<string, string>();
  for (const l of links)
    if (l.ifname !== name) for (const a of l.addr_info ?? []) owners.set(a.local.toLowerCase(), l.ifname);
  const add: string[] = [];
  const conflicts: { address: string; owner: string }[] = [];
  for (const cidr of recordedAddresses(record.nic)) {
    const address = addressOnly(cidr);
    if (own.has(address)) continue;
    const owner = owners.get(address);
    if (owner !== undefined) conflicts.push({ address: cidr, owner });
    else add.push(cidr);
  }
  return { touch: true, up: !link.flags.includes('UP'), add, conflicts, routes: record.routes };
}
