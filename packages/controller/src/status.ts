// MultiNicNetwork status: conditions with reasons a person can act on, per-interface host counts, the route
// status aggregated from the node agents' reports, observedGeneration.
import type { NetworkPlan, PlanProblem } from '@multinic/cidr-core';
import type { Condition, HostRouteStatus, MultiNicNetworkStatus, RouteStatus } from '@multinic/crd-types';
import { rfc3339 } from './clock.js';
import { jsonEqual } from './objects.js';

/** The plan in force: a CIDR's spec, with the plan of a dual-stack network's second subnet (ADR 0006). */
export type PlanInForce = NetworkPlan & { readonly otherFamily?: NetworkPlan | undefined };

/** The NIC-network entries of every family of a plan. */
function entriesOf(plan: PlanInForce | undefined): NetworkPlan['cidr'] {
  return [...(plan?.cidr ?? []), ...(plan?.otherFamily?.cidr ?? [])];
}

export type ProblemReason =
  'InvalidSpec' | 'InvalidCIDR' | 'BlocksChanged' | 'CapacityExceeded' | 'InvalidHost' | 'Conflict';

/** One thing wrong with a network, as shown in the Degraded condition and an Event. */
export interface Problem {
  readonly reason: ProblemReason;
  readonly message: string;
}

/** The condition reason of a cidr-core plan problem, by its code. */
export function problemOfPlan(problem: PlanProblem): Problem {
  switch (problem.code) {
    case 'NO_INTERFACE_INDEX':
    case 'NO_HOST_INDEX':
    case 'NETWORK_TOO_SMALL':
      return { reason: 'CapacityExceeded', message: problem.reason };
    case 'DUPLICATE_INTERFACE':
    case 'INVALID_NIC':
    case 'NO_FAMILY_ADDRESS':
      return { reason: 'InvalidHost', message: problem.reason };
    case 'INVALID_BLOCK_BITS':
    case 'INVALID_CIDR':
    case 'NO_ROOM_FOR_PODS':
    case 'EMPTY_HOST_NAME':
      return { reason: 'InvalidSpec', message: problem.reason };
  }
}

export interface StatusInput {
  readonly generation: number;
  /** The plan in force, every family (undefined when none could be computed). */
  readonly plan: PlanInForce | undefined;
  /** True when the plan and its IPPools and NetworkAttachmentDefinitions were written. */
  readonly planApplied: boolean;
  readonly problems: readonly Problem[];
  /** The route report of each planned host for this network; undefined when the network needs no host routes (L2). */
  readonly routeReport: ((hostName: string) => HostRouteStatus | undefined) | undefined;
  readonly namespaces: readonly string[];
  /** Namespaces listed in the spec that do not exist (yet). */
  readonly missingNamespaces: readonly string[];
  /** NICs of departed hosts whose blocks are kept. */
  readonly retained: number;
  /**
   * The IPAM type when the network's delegates run their own IPAM (multiNICIPAM: false): it needs no host or IPPool,
   * only its NetworkAttachmentDefinitions.
   */
  readonly ownIpam?: string | undefined;
  readonly previous: MultiNicNetworkStatus | undefined;
  readonly now: number;
}

const MAX_LISTED = 20;

function listText(items: readonly string[]): string {
  const shown = items.slice(0, MAX_LISTED).join('; ');
  return items.length > MAX_LISTED ? `${shown}; … and ${items.length - MAX_LISTED} more` : shown;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function plannedHosts(plan: PlanInForce | undefined): string[] {
  const hosts = new Set<string>();
  for (const entry of entriesOf(plan)) for (const host of entry.hosts) hosts.add(host.hostName);
  return [...hosts].sort();
}

interface RouteSummary {
  readonly routes: NonNullable<MultiNicNetworkStatus['routes']>;
  readonly condition: { status: Condition['status']; reason: string; message: string };
}

/** Success when every planned host reports its routes programmed; Failed when any reports a failure. */
export function summarizeRoutes(
  hosts: readonly string[],
  report: (host: string) => HostRouteStatus | undefined,
): RouteSummary {
  if (hosts.length === 0)
    return {
      routes: { status: 'N/A' },
      condition: { status: 'Unknown', reason: 'NoHosts', message: 'no host is planned yet' },
    };
  const failed = hosts.filter((h) => report(h)?.status === 'Failed');
  const applied = hosts.filter((h) => report(h)?.status === 'Success').length;
  if (failed.length > 0) {
    const messages = failed.map((h) => `${h}: ${report(h)?.message ?? 'failed'}`);
    return {
      routes: {
        status: 'Failed',
        appliedHosts: applied,
        failedHosts: failed.slice(0, 64),
        message: listText(messages).slice(0, 4096),
      },
      condition: {
        status: 'False',
        reason: 'RoutesFailed',
        message: `${plural(failed.length, 'host')} failed to program routes: ${listText(messages)}`,
      },
    };
  }
  const status: RouteStatus = applied === hosts.length ? 'Success' : 'WaitForRoutes';
  const message = `${applied} of ${plural(hosts.length, 'host')} report their routes programmed`;
  return {
    routes: { status, appliedHosts: applied },
    condition:
      status === 'Success'
        ? { status: 'True', reason: 'RoutesApplied', message }
        : { status: 'False', reason: 'RoutesPending', message },
  };
}

const NO_ROUTES: RouteSummary = {
  routes: { status: 'N/A' },
  condition: {
    status: 'True',
    reason: 'RoutesNotNeeded',
    message: 'vlanMode is not l3 or l3s: the network needs no host routes',
  },
};

function routeSummary(hosts: readonly string[], report: StatusInput['routeReport']): RouteSummary {
  return report === undefined ? NO_ROUTES : summarizeRoutes(hosts, report);
}

type ConditionCore = Pick<Condition, 'type' | 'status' | 'reason' | 'message'>;

function readyCondition(input: StatusInput, hosts: number): ConditionCore {
  const first = input.problems[0];
  if (first !== undefined)
    return {
      type: 'Ready',
      status: 'False',
      reason: first.reason,
      message: `not ready: ${listText(input.problems.map((p) => p.message))}`,
    };
  const missing =
    input.missingNamespaces.length === 0
      ? ''
      : `; listed namespaces that do not exist yet: ${input.missingNamespaces.join(', ')}`;
  if (input.ownIpam !== undefined)
    return {
      type: 'Ready',
      status: 'True',
      reason: 'AttachmentsReady',
      message: `every delegate runs the network's own IPAM (${input.ownIpam}), so no IPPools; NetworkAttachmentDefinitions in ${plural(input.namespaces.length, 'namespace')}${missing}`,
    };
  if (hosts === 0)
    return {
      type: 'Ready',
      status: 'False',
      reason: 'NoHosts',
      message: 'no node with a HostInterface on the network’s NIC networks yet',
    };
  const pools = entriesOf(input.plan).reduce((n, e) => n + e.hosts.length, 0);
  return {
    type: 'Ready',
    status: 'True',
    reason: 'AttachmentsReady',
    message: `${plural(pools, 'IPPool')} on ${plural(hosts, 'host')}, NetworkAttachmentDefinitions in ${plural(input.namespaces.length, 'namespace')}${missing}`,
  };
}

function conditionsOf(input: StatusInput): ConditionCore[] {
  const hosts = plannedHosts(input.plan);
  const first = input.problems[0];
  const retained =
    input.retained === 0
      ? ''
      : `; keeping the blocks of ${plural(input.retained, 'NIC')} of departed hosts or gone from their HostInterface until their IPPools are empty`;
  const planned: ConditionCore = input.planApplied
    ? {
        type: 'PlanComputed',
        status: 'True',
        reason: 'Planned',
        message: `${plural(input.plan?.cidr.length ?? 0, 'interface network')}${input.plan?.otherFamily === undefined ? '' : ' (IPv4 and IPv6)'}, ${plural(hosts.length, 'host')}${retained}`,
      }
    : {
        type: 'PlanComputed',
        status: 'False',
        reason: first?.reason ?? 'InvalidSpec',
        message: `the plan was not written: ${listText(input.problems.map((p) => p.message))}`,
      };
  const degraded: ConditionCore =
    first === undefined
      ? { type: 'Degraded', status: 'False', reason: 'Planned', message: 'no problems' }
      : {
          type: 'Degraded',
          status: 'True',
          reason: first.reason,
          message: listText(input.problems.map((p) => p.message)),
        };
  const routes = routeSummary(hosts, input.routeReport).condition;
  return [readyCondition(input, hosts.length), degraded, planned, { type: 'RoutesApplied', ...routes }];
}

/** Keeps lastTransitionTime when a condition's status did not change. */
function withTimes(conditions: readonly ConditionCore[], input: StatusInput): Condition[] {
  const before = new Map((input.previous?.conditions ?? []).map((c) => [c.type, c]));
  return conditions.map((c) => {
    const old = before.get(c.type);
    const lastTransitionTime =
      old !== undefined && old.status === c.status ? old.lastTransitionTime : rfc3339(input.now);
    return { ...c, message: c.message.slice(0, 32_768), observedGeneration: input.generation, lastTransitionTime };
  });
}

export function networkStatus(input: StatusInput): MultiNicNetworkStatus {
  const hosts = plannedHosts(input.plan);
  return {
    observedGeneration: input.generation,
    conditions: withTimes(conditionsOf(input), input),
    interfaces: entriesOf(input.plan).map((e) => ({
      netAddress: e.netAddress,
      interfaceIndex: e.interfaceIndex,
      vlanCIDR: e.vlanCIDR,
      numOfHosts: e.hosts.length,
    })),
    routes: routeSummary(hosts, input.routeReport).routes,
  };
}

/** Equal apart from lastTransitionTime (which withTimes keeps anyway when nothing changed). */
export function statusEqual(a: MultiNicNetworkStatus | undefined, b: MultiNicNetworkStatus | undefined): boolean {
  const strip = (s: MultiNicNetworkStatus | undefined): unknown =>
    s === undefined
      ? undefined
      : { ...s, conditions: (s.conditions ?? []).map(({ lastTransitionTime: _t, ...c }) => c) };
  return jsonEqual(strip(a), strip(b));
}

/** Problems (of those the Degraded condition lists) not already reported in the previous one: each gets an Event. */
export function newProblems(problems: readonly Problem[], previous: MultiNicNetworkStatus | undefined): Problem[] {
  const degraded = previous?.conditions?.find((c) => c.type === 'Degraded' && c.status === 'True');
  return problems.slice(0, MAX_LISTED).filter((p) => degraded === undefined || !degraded.message.includes(p.message));
}
