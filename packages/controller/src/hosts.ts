// Which hosts a network is planned for: every node that has both a Node object and a HostInterface, plus the
// NICs of hosts that left but whose IPPools still hold allocations. Those are kept until the pools are empty or a
// grace period passes, so a pod that is still running never sees its block handed to another host. When a NIC was
// first seen gone is recorded on its IPPool (an annotation), so the grace period survives restarts and failovers.
// A NIC gone from the HostInterface of a host that is still there (a host-device pod took it and an agent did not
// report it lent, a NIC unplugged under running pods) is kept with no grace period: its IPPool holds addresses pods
// on that very host use, so it goes only once its allocations are released.
import type { NetworkPlan, PlanHost, PlanNic } from '@multinic/cidr-core';
import { planHostOf as planHostOfHostInterface, type PlannedHostInterface } from '@multinic/crd-types';
import type { KubeObject } from './objects.js';

/** Annotation on the IPPool of a departed NIC: when the controller first saw it gone (RFC 3339). */
export const DEPARTED_ANNOTATION = 'multinic.dev/departed-at';
/** Annotation on the IPPool of a NIC gone from a present host's HostInterface: when first seen gone (RFC 3339). */
export const NIC_GONE_ANNOTATION = 'multinic.dev/nic-gone-at';

/** The NICs of a HostInterface that have an address (crd-types' rule, shared with `multinic plan`). */
export function planHostOf(hostInterface: KubeObject): PlanHost {
  // The API server has validated the object against the CRD's structural schema.
  return planHostOfHostInterface(hostInterface as PlannedHostInterface);
}

/** Hosts with a HostInterface whose Node exists. */
export function liveHosts(hostInterfaces: readonly KubeObject[], nodes: ReadonlySet<string>): PlanHost[] {
  return hostInterfaces.filter((hi) => nodes.has(hi.metadata.name)).map(planHostOf);
}

/** What retention needs to know about an IPPool. */
export interface PoolState {
  readonly hasAllocations: boolean;
  /** From DEPARTED_ANNOTATION, ms since the epoch. */
  readonly departedAt: number | undefined;
  /** From NIC_GONE_ANNOTATION, ms since the epoch. */
  readonly nicGoneAt?: number | undefined;
  /** The pool's spec.gateway (host-subnet mode): a kept NIC keeps it. */
  readonly gateway?: string | undefined;
}

export interface RetentionInput {
  /** The plan in force; a dual-stack network's second family's in `otherFamily` (its NICs keep both blocks). */
  readonly previous: (NetworkPlan & { readonly otherFamily?: NetworkPlan | undefined }) | undefined;
  readonly live: readonly PlanHost[];
  /** The IPPool of that name (undefined when it does not exist). */
  readonly pool: (name: string) => PoolState | undefined;
  readonly now: number;
  readonly graceMs: number;
}

export interface RetainedNic {
  readonly hostName: string;
  readonly interfaceName: string;
  readonly ippool: string;
  /** When it was first seen gone (ms since the epoch); `now` for a NIC gone since this call. */
  readonly since: number;
  /** When its grace period ends; undefined when its host is still there (kept until the pool is empty). */
  readonly until: number | undefined;
  /** True when this call is the first to see it gone (it gets an Event and the annotation). */
  readonly isNew: boolean;
  /** Its host is still there (Node and HostInterface): only the NIC is gone from the HostInterface. */
  readonly hostPresent: boolean;
}

export interface Retention {
  /** The live hosts plus the NICs that are kept: the hosts to plan with. */
  readonly hosts: PlanHost[];
  readonly retained: RetainedNic[];
  /** Milliseconds until the next grace period ends, when something is retained. */
  readonly nextCheckMs: number | undefined;
}

function isLive(byName: ReadonlyMap<string, PlanHost>, hostName: string, interfaceName: string): boolean {
  return byName.get(hostName)?.interfaces.some((nic) => nic.interfaceName === interfaceName) ?? false;
}

function withRetained(
  live: readonly PlanHost[],
  byName: ReadonlyMap<string, PlanHost>,
  extra: ReadonlyMap<string, PlanNic[]>,
): PlanHost[] {
  const hosts = live.map((host) => {
    const more = extra.get(host.hostName);
    return more === undefined ? host : { hostName: host.hostName, interfaces: [...host.interfaces, ...more] };
  });
  for (const [hostName, interfaces] of extra) if (!byName.has(hostName)) hosts.push({ hostName, interfaces });
  return hosts;
}

/** How long a gone NIC with allocations is kept: a present host's for as long as they last, a departed one's for the grace period. */
function keepWindow(
  pool: PoolState,
  hostPresent: boolean,
  input: RetentionInput,
): { since: number; until: number | undefined; isNew: boolean } | undefined {
  if (hostPresent) {
    return { since: pool.nicGoneAt ?? input.now, until: undefined, isNew: pool.nicGoneAt === undefined };
  }
  const since = pool.departedAt ?? input.now;
  const until = since + input.graceMs;
  return input.now >= until ? undefined : { since, until, isNew: pool.departedAt === undefined };
}

/** A kept NIC as the plan of its family knows it; a NIC kept in both families gets the other address in `addresses`. */
function keepNic(extra: Map<string, PlanNic[]>, hostName: string, nic: PlanNic, prefixLength: string): void {
  const nics = extra.get(hostName) ?? [];
  const seen = nics.find((n) => n.interfaceName === nic.interfaceName);
  if (seen === undefined) nics.push(nic);
  else seen.addresses = [...(seen.addresses ?? []), `${nic.hostIP}/${prefixLength}`];
  extra.set(hostName, nics);
}

/** Decides which planned NICs that are gone keep their blocks. */
export function retainDeparted(input: RetentionInput): Retention {
  const byName = new Map(input.live.map((host) => [host.hostName, host]));
  const extra = new Map<string, PlanNic[]>();
  const retained: RetainedNic[] = [];
  const plans = [input.previous, input.previous?.otherFamily].filter((p) => p !== undefined);
  for (const entry of plans.flatMap((plan) => plan.cidr)) {
    for (const host of entry.hosts) {
      if (isLive(byName, host.hostName, host.interfaceName)) continue;
      const pool = input.pool(host.ippool);
      if (pool === undefined || !pool.hasAllocations) continue;
      const hostPresent = byName.has(host.hostName);
      const window = keepWindow(pool, hostPresent, input);
      if (window === undefined) continue;
      retained.push({
        hostName: host.hostName,
        interfaceName: host.interfaceName,
        ippool: host.ippool,
        ...window,
        hostPresent,
      });
      const nic = {
        interfaceName: host.interfaceName,
        netAddress: entry.netAddress,
        hostIP: host.hostIP,
        ...(pool.gateway === undefined ? {} : { gateway: pool.gateway }),
      };
      keepNic(extra, host.hostName, nic, entry.netAddress.slice(entry.netAddress.indexOf('/') + 1));
    }
  }
  const ends = retained.flatMap((r) => (r.until === undefined ? [] : [r.until]));
  const nextCheckMs = ends.length === 0 ? undefined : Math.max(0, Math.min(...ends) - input.now);
  return { hosts: withRetained(input.live, byName, extra), retained, nextCheckMs };
}
