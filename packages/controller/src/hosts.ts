// Which hosts a network is planned for: every node that has both a Node object and a HostInterface, plus the
// NICs of hosts that left but whose IPPools still hold allocations. Those are kept until the pools are empty or a
// grace period passes, so a pod that is still running never sees its block handed to another host. When a NIC was
// first seen gone is recorded on its IPPool (an annotation), so the grace period survives restarts and failovers.
import type { NetworkPlan, PlanHost, PlanNic } from '@multinic/cidr-core';
import { planHostOf as planHostOfHostInterface, type PlannedHostInterface } from '@multinic/crd-types';
import type { KubeObject } from './objects.js';

/** Annotation on the IPPool of a departed NIC: when the controller first saw it gone (RFC 3339). */
export const DEPARTED_ANNOTATION = 'multinic.dev/departed-at';

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
}

export interface RetentionInput {
  readonly previous: NetworkPlan | undefined;
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
  /** When its grace period ends. */
  readonly until: number;
  /** True when this call is the first to see it gone (it gets an Event and the annotation). */
  readonly isNew: boolean;
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

/** Decides which planned NICs that are gone keep their blocks. */
export function retainDeparted(input: RetentionInput): Retention {
  const byName = new Map(input.live.map((host) => [host.hostName, host]));
  const extra = new Map<string, PlanNic[]>();
  const retained: RetainedNic[] = [];
  for (const entry of input.previous?.cidr ?? []) {
    for (const host of entry.hosts) {
      if (isLive(byName, host.hostName, host.interfaceName)) continue;
      const pool = input.pool(host.ippool);
      if (pool === undefined || !pool.hasAllocations) continue;
      const since = pool.departedAt ?? input.now;
      const until = since + input.graceMs;
      if (input.now >= until) continue;
      retained.push({
        hostName: host.hostName,
        interfaceName: host.interfaceName,
        ippool: host.ippool,
        since,
        until,
        isNew: pool.departedAt === undefined,
      });
      const nics = extra.get(host.hostName) ?? [];
      nics.push({ interfaceName: host.interfaceName, netAddress: entry.netAddress, hostIP: host.hostIP });
      extra.set(host.hostName, nics);
    }
  }
  const nextCheckMs =
    retained.length === 0 ? undefined : Math.max(0, Math.min(...retained.map((r) => r.until)) - input.now);
  return { hosts: withRetained(input.live, byName, extra), retained, nextCheckMs };
}
