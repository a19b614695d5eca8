import { describe, expect, it } from '@jest/globals';
import type { NetworkPlan, PlanProblem } from '@multinic/cidr-core';
import type { HostRouteStatus, MultiNicNetworkStatus } from '@multinic/crd-types';
import {
  networkStatus,
  newProblems,
  problemOfPlan,
  statusEqual,
  summarizeRoutes,
  type Problem,
  type StatusInput,
} from './status.js';

const plan: NetworkPlan = {
  config: { subnet: '192.168.0.0/16', interfaceBlock: 2, hostBlock: 6, masterNets: [], excludeCIDRs: [] },
  cidr: [
    {
      netAddress: '10.0.1.0/24',
      interfaceIndex: 0,
      vlanCIDR: '192.168.0.0/18',
      highWater: 2,
      hosts: [
        {
          hostIndex: 0,
          hostName: 'a',
          interfaceName: 'eth1',
          hostIP: '10.0.1.1',
          podCIDR: '192.168.0.0/24',
          ippool: 'n-192.168.0.0-24',
        },
        {
          hostIndex: 1,
          hostName: 'b',
          interfaceName: 'eth1',
          hostIP: '10.0.1.2',
          podCIDR: '192.168.1.0/24',
          ippool: 'n-192.168.1.0-24',
        },
      ],
    },
  ],
};

function input(overrides: Partial<StatusInput> = {}): StatusInput {
  return {
    generation: 3,
    plan,
    planApplied: true,
    problems: [],
    routeReport: () => undefined,
    namespaces: ['default', 'team-a'],
    missingNamespaces: [],
    retained: 0,
    previous: undefined,
    now: Date.UTC(2025, 0, 31, 12, 0, 0),
    ...overrides,
  };
}

const condition = (status: MultiNicNetworkStatus, type: string) => status.conditions?.find((c) => c.type === type);

describe('problemOfPlan', () => {
  it.each<{ problem: PlanProblem; reason: Problem['reason'] }>([
    {
      problem: {
        code: 'NO_HOST_INDEX',
        host: 'h',
        network: '10.0.1.0/24',
        reason: 'host h (eth1) has no free host index on 10.0.1.0/24: hostBlock 1 allows 2 hosts',
      },
      reason: 'CapacityExceeded',
    },
    {
      problem: {
        code: 'NO_INTERFACE_INDEX',
        network: '10.0.9.0/24',
        reason: 'network 10.0.9.0/24 has no free interface index: interfaceBlock 1 allows 2 networks',
      },
      reason: 'CapacityExceeded',
    },
    {
      problem: {
        code: 'NETWORK_TOO_SMALL',
        network: '10.0.1.0/28',
        reason: 'network 10.0.1.0/28 is too small for hostBlock 6 in host-subnet mode',
      },
      reason: 'CapacityExceeded',
    },
    {
      problem: {
        code: 'INVALID_NIC',
        host: 'h',
        network: 'x',
        reason: 'host h interface eth1: netAddress is not a prefix',
      },
      reason: 'InvalidHost',
    },
    {
      problem: { code: 'DUPLICATE_INTERFACE', host: 'h', reason: 'host h lists interface eth1 more than once' },
      reason: 'InvalidHost',
    },
    { problem: { code: 'INVALID_CIDR', reason: 'excludeCIDRs[0] is not a prefix' }, reason: 'InvalidSpec' },
    {
      problem: {
        code: 'NO_ROOM_FOR_PODS',
        reason: 'config: subnet 192.168.0.0/24 split by interfaceBlock 3 and hostBlock 4 gives /31 pod blocks',
      },
      reason: 'InvalidSpec',
    },
    {
      problem: { code: 'EMPTY_HOST_NAME', reason: 'a host has an empty hostName; it was ignored' },
      reason: 'InvalidSpec',
    },
  ])('$problem.code → $reason', ({ problem, reason }) => {
    expect(problemOfPlan(problem)).toEqual({ reason, message: problem.reason });
  });
});

describe('networkStatus', () => {
  it('is Ready with counts per interface when there is no problem', () => {
    const status = networkStatus(input());
    expect(status.observedGeneration).toBe(3);
    expect(status.interfaces).toEqual([
      { netAddress: '10.0.1.0/24', interfaceIndex: 0, vlanCIDR: '192.168.0.0/18', numOfHosts: 2 },
    ]);
    expect(condition(status, 'Ready')).toMatchObject({
      status: 'True',
      reason: 'AttachmentsReady',
      message: '2 IPPools on 2 hosts, NetworkAttachmentDefinitions in 2 namespaces',
      observedGeneration: 3,
      lastTransitionTime: '2025-01-31T12:00:00Z',
    });
    expect(condition(status, 'Degraded')).toMatchObject({ status: 'False', reason: 'Planned' });
    expect(condition(status, 'PlanComputed')).toMatchObject({
      status: 'True',
      message: '1 interface network, 2 hosts',
    });
  });

  it('is Degraded, and not Ready, with the first problem as reason and every problem in the message', () => {
    const problems: Problem[] = [
      { reason: 'CapacityExceeded', message: 'host c has no free host index' },
      { reason: 'InvalidHost', message: 'host d interface eth1: bad' },
    ];
    const status = networkStatus(input({ problems }));
    expect(condition(status, 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'CapacityExceeded',
      message: 'host c has no free host index; host d interface eth1: bad',
    });
    expect(condition(status, 'Ready')).toMatchObject({ status: 'False', reason: 'CapacityExceeded' });
  });

  it('lists at most 20 problems and says how many more there are', () => {
    const problems = Array.from({ length: 25 }, (_, i): Problem => ({ reason: 'CapacityExceeded', message: `p${i}` }));
    expect(condition(networkStatus(input({ problems })), 'Degraded')?.message).toMatch(/; p19; … and 5 more$/);
  });

  it('reports routes N/A when the network needs none (L2)', () => {
    const status = networkStatus(input({ routeReport: undefined }));
    expect(status.routes).toEqual({ status: 'N/A' });
    expect(condition(status, 'RoutesApplied')).toMatchObject({ status: 'True', reason: 'RoutesNotNeeded' });
  });

  it('says NoHosts when nothing is planned yet', () => {
    const status = networkStatus(input({ plan: { ...plan, cidr: [] } }));
    expect(condition(status, 'Ready')).toMatchObject({ status: 'False', reason: 'NoHosts' });
    expect(status.routes).toEqual({ status: 'N/A' });
  });

  it('a network whose delegates run their own IPAM is Ready without hosts: it needs only its NADs', () => {
    const status = networkStatus(input({ plan: { ...plan, cidr: [] }, routeReport: undefined, ownIpam: 'host-local' }));
    expect(condition(status, 'Ready')).toMatchObject({ status: 'True', reason: 'AttachmentsReady' });
    expect(condition(status, 'Ready')?.message).toMatch(/own IPAM \(host-local\), so no IPPools/);
  });

  it('keeps lastTransitionTime while a condition keeps its status, and moves it when the status changes', () => {
    const first = networkStatus(input());
    const later = input({ previous: first, now: Date.UTC(2025, 0, 31, 13, 0, 0) });
    expect(condition(networkStatus(later), 'Ready')?.lastTransitionTime).toBe('2025-01-31T12:00:00Z');
    const degraded = networkStatus({ ...later, problems: [{ reason: 'BlocksChanged', message: 'x' }] });
    expect(condition(degraded, 'Ready')?.lastTransitionTime).toBe('2025-01-31T13:00:00Z');
    expect(statusEqual(first, networkStatus(later))).toBe(true);
    expect(statusEqual(first, degraded)).toBe(false);
  });
});

describe('summarizeRoutes', () => {
  const report =
    (reports: Record<string, HostRouteStatus['status']>) =>
    (host: string): HostRouteStatus | undefined =>
      reports[host] === undefined
        ? undefined
        : {
            network: 'n',
            status: reports[host],
            ...(reports[host] === 'Failed' ? { message: 'RTNETLINK answers: File exists' } : {}),
          };
  it.each([
    { hosts: [], reports: {}, status: 'N/A', reason: 'NoHosts' },
    { hosts: ['a', 'b'], reports: { a: 'Success', b: 'Success' }, status: 'Success', reason: 'RoutesApplied' },
    { hosts: ['a', 'b'], reports: { a: 'Success' }, status: 'WaitForRoutes', reason: 'RoutesPending' },
    { hosts: ['a', 'b'], reports: { a: 'Success', b: 'Pending' }, status: 'WaitForRoutes', reason: 'RoutesPending' },
    { hosts: ['a', 'b'], reports: { a: 'Failed', b: 'Success' }, status: 'Failed', reason: 'RoutesFailed' },
  ] as const)('$reports over $hosts → $status', ({ hosts, reports, status, reason }) => {
    const summary = summarizeRoutes(hosts, report(reports));
    expect(summary.routes.status).toBe(status);
    expect(summary.condition.reason).toBe(reason);
  });

  it('names the failed hosts and their messages', () => {
    const summary = summarizeRoutes(['a', 'b'], report({ a: 'Failed', b: 'Success' }));
    expect(summary.routes).toEqual({
      status: 'Failed',
      appliedHosts: 1,
      failedHosts: ['a'],
      message: 'a: RTNETLINK answers: File exists',
    });
  });
});

describe('newProblems', () => {
  it('reports only what the previous Degraded condition did not already say', () => {
    const old: Problem[] = [{ reason: 'CapacityExceeded', message: 'host c has no free host index' }];
    const previous = networkStatus(input({ problems: old }));
    const now: Problem[] = [...old, { reason: 'InvalidHost', message: 'host d is broken' }];
    expect(newProblems(now, previous)).toEqual([{ reason: 'InvalidHost', message: 'host d is broken' }]);
    expect(newProblems(now, networkStatus(input()))).toEqual(now);
    expect(newProblems(now, undefined)).toEqual(now);
  });
});
