import { describe, expect, it } from '@jest/globals';
import type { NetworkPlan } from '@multinic/cidr-core';
import { desiredIPPool, ownerReference, upToDate } from './desired.js';
import { DEPARTED_ANNOTATION, NIC_GONE_ANNOTATION } from './hosts.js';
import type { KubeObject } from './objects.js';
import { RecentWrites } from './recent.js';
import { effectiveConfig, selectNamespaces } from './reconcile.js';

const ref = { name: 'net', uid: 'uid-1' };
const pool = {
  name: 'net-192.168.0.0-24',
  hostName: 'a',
  interfaceName: 'eth1',
  podCIDR: '192.168.0.0/24',
  vlanCIDR: '192.168.0.0/18',
  excludes: [],
};

describe('upToDate', () => {
  const desired = desiredIPPool(ref, pool);
  const actual = (change: (o: KubeObject) => void = () => {}): KubeObject => {
    const copy = structuredClone(desired);
    copy.metadata.resourceVersion = '7';
    copy.status = { allocations: [{ address: '192.168.0.9' }] };
    change(copy);
    return copy;
  };

  it.each([
    { case: 'the same object with status and resourceVersion', change: () => {}, fresh: true },
    {
      case: 'a label someone else added',
      change: (o: KubeObject) => (o.metadata.labels = { ...o.metadata.labels, team: 'x' }),
      fresh: true,
    },
    {
      case: 'spec keys in another order',
      change: (o: KubeObject) => (o.spec = Object.fromEntries(Object.entries(o.spec as object).reverse())),
      fresh: true,
    },
    {
      case: 'another podCIDR',
      change: (o: KubeObject) => ((o.spec as { podCIDR: string }).podCIDR = '192.168.1.0/24'),
      fresh: false,
    },
    {
      case: 'a missing label',
      change: (o: KubeObject) => delete o.metadata.labels?.['multinic.dev/host'],
      fresh: false,
    },
    {
      case: 'another owner',
      change: (o: KubeObject) => (o.metadata.ownerReferences = [ownerReference({ name: 'net', uid: 'uid-0' })]),
      fresh: false,
    },
    {
      case: 'a departed-at mark no longer wanted',
      change: (o: KubeObject) => (o.metadata.annotations = { [DEPARTED_ANNOTATION]: '2025-01-01T00:00:00Z' }),
      fresh: false,
    },
    {
      case: 'a nic-gone-at mark no longer wanted',
      change: (o: KubeObject) => (o.metadata.annotations = { [NIC_GONE_ANNOTATION]: '2025-01-01T00:00:00Z' }),
      fresh: false,
    },
    {
      case: 'deletion in progress',
      change: (o: KubeObject) => (o.metadata.deletionTimestamp = '2025-01-01T00:00:00Z'),
      fresh: false,
    },
  ])('$case → up to date: $fresh', ({ change, fresh }) => {
    expect(upToDate(desired, actual(change))).toBe(fresh);
  });

  it('is not up to date when the object does not exist', () => {
    expect(upToDate(desired, undefined)).toBe(false);
  });

  it('wants the departed-at mark exactly when it is given', () => {
    const marked = desiredIPPool(ref, pool, { departedAt: Date.UTC(2025, 0, 1) });
    expect(marked.metadata.annotations).toEqual({ [DEPARTED_ANNOTATION]: '2025-01-01T00:00:00Z' });
    expect(upToDate(marked, desired)).toBe(false);
    expect(upToDate(marked, structuredClone(marked))).toBe(true);
  });

  it('wants the nic-gone-at mark (a NIC gone from a present host) exactly when it is given', () => {
    const marked = desiredIPPool(ref, pool, { nicGoneAt: Date.UTC(2025, 0, 2) });
    expect(marked.metadata.annotations).toEqual({ [NIC_GONE_ANNOTATION]: '2025-01-02T00:00:00Z' });
    expect(upToDate(marked, desired)).toBe(false);
    expect(upToDate(desired, marked)).toBe(false);
    expect(upToDate(marked, structuredClone(marked))).toBe(true);
  });
});

describe('effectiveConfig', () => {
  const inUse = { subnet: '192.168.0.0/16', interfaceBlock: 2, hostBlock: 6, masterNets: [], excludeCIDRs: [] };
  const entry = {
    hostIndex: 0,
    hostName: 'a',
    interfaceName: 'eth1',
    hostIP: '10.0.1.1',
    podCIDR: '192.168.0.0/24',
    ippool: 'x',
  };
  const used: NetworkPlan = {
    config: inUse,
    cidr: [{ netAddress: '10.0.1.0/24', interfaceIndex: 0, vlanCIDR: '192.168.0.0/18', hosts: [entry] }],
  };
  const unused: NetworkPlan = {
    config: inUse,
    cidr: [{ netAddress: '10.0.1.0/24', interfaceIndex: 0, vlanCIDR: '192.168.0.0/18', hosts: [] }],
  };

  it.each([
    { case: 'a new network', previous: undefined, wanted: { ...inUse, hostBlock: 8 }, kept: false },
    {
      case: 'an unchanged network',
      previous: used,
      wanted: { ...inUse, masterNets: ['10.0.1.0/24'], excludeCIDRs: ['192.168.0.7/32'] },
      kept: false,
    },
    { case: 'a network no host uses yet', previous: unused, wanted: { ...inUse, hostBlock: 8 }, kept: false },
    { case: 'a changed hostBlock in use', previous: used, wanted: { ...inUse, hostBlock: 8 }, kept: true },
    { case: 'a changed subnet in use', previous: used, wanted: { ...inUse, subnet: '10.128.0.0/16' }, kept: true },
    { case: 'a changed interfaceBlock in use', previous: used, wanted: { ...inUse, interfaceBlock: 3 }, kept: true },
  ])('$case: blocks in force kept: $kept', ({ previous, wanted, kept }) => {
    const result = effectiveConfig(wanted, previous);
    if (kept) {
      expect(result.config).toEqual({
        ...wanted,
        subnet: inUse.subnet,
        interfaceBlock: inUse.interfaceBlock,
        hostBlock: inUse.hostBlock,
      });
      expect(result.problem?.reason).toBe('BlocksChanged');
      expect(result.problem?.message).toMatch(
        /while the network is in use; the controller keeps planning with the blocks in force/,
      );
    } else {
      expect(result).toEqual({ config: wanted });
    }
  });
});

describe('selectNamespaces', () => {
  const ns = (name: string, phase = 'Active'): KubeObject => ({ metadata: { name }, status: { phase } });
  const cluster = [ns('default'), ns('team-a'), ns('team-b'), ns('old', 'Terminating')];
  it.each([
    { listed: [], selected: ['default', 'team-a', 'team-b'], missing: [] },
    { listed: ['team-b', 'team-a', 'team-b'], selected: ['team-a', 'team-b'], missing: [] },
    { listed: ['team-a', 'team-z', 'old'], selected: ['team-a'], missing: ['old', 'team-z'] },
  ])('$listed → $selected (missing $missing)', ({ listed, selected, missing }) => {
    expect(selectNamespaces(listed, cluster)).toEqual({ selected, missing });
  });
});

describe('RecentWrites', () => {
  const obj = (rv: string, podCIDR = 'x'): KubeObject => ({
    metadata: { name: 'p', resourceVersion: rv },
    spec: { podCIDR },
  });

  it('shows the written version until the cache delivers it, then the cache', () => {
    const recent = new RecentWrites<KubeObject>();
    recent.record('p', obj('5', 'new'), obj('3', 'old'));
    expect(recent.view('p', obj('3', 'old'))?.spec).toEqual({ podCIDR: 'new' });
    recent.observed('p', obj('4'));
    expect(recent.view('p', obj('4', 'older'))?.spec).toEqual({ podCIDR: 'new' });
    recent.observed('p', obj('5', 'new'));
    expect(recent.size).toBe(0);
    expect(recent.view('p', obj('6', 'later'))?.spec).toEqual({ podCIDR: 'later' });
  });

  it('remembers nothing when the cache already holds the written version (a no-op apply)', () => {
    const recent = new RecentWrites<KubeObject>();
    recent.record('p', obj('3'), obj('3'));
    expect(recent.size).toBe(0);
  });

  it('forgets a deleted object and everything on a relist', () => {
    const recent = new RecentWrites<KubeObject>();
    recent.record('p', obj('5'), undefined);
    recent.record('q', obj('6'), undefined);
    recent.forget('p');
    expect(recent.view('p', undefined)).toBeUndefined();
    recent.clear();
    expect(recent.view('q', undefined)).toBeUndefined();
  });
});
