import { describe, expect, it } from '@jest/globals';
import type { IPPoolAllocation } from '@multinic/crd-types';
import type { WrittenStatus } from './repair.js';
import { describeRepair, diffAllocations, judgeStatus } from './repair.js';

const a = (n: number, holder = `c${n}`): IPPoolAllocation => ({
  address: `10.0.0.${n}`,
  containerID: holder,
  interface: 'net1',
  podName: `p${n}`,
  podNamespace: 'default',
  podUID: `u${n}`,
});
const w = (resourceVersion: string | undefined, ...allocations: IPPoolAllocation[]): WrittenStatus => ({
  resourceVersion,
  allocations,
});
const obs = (
  resourceVersion: string | undefined,
  ...allocations: IPPoolAllocation[]
): { resourceVersion: string | undefined; allocations: IPPoolAllocation[] } => ({ resourceVersion, allocations });

describe('judgeStatus: nothing to do', () => {
  it.each([
    {
      case: 'the pool is not ours',
      desired: undefined,
      written: [w('10', a(1))],
      observed: obs('11'),
      why: 'not-ours',
    },
    {
      case: 'the mirror has not written yet (a restart: the first flush aligns it)',
      desired: [a(1)],
      written: [],
      observed: obs('11'),
      why: 'no-baseline',
    },
    {
      case: 'the status equals the store',
      desired: [a(1), a(2)],
      written: [w('10', a(1))],
      observed: obs('12', a(2), a(1)),
      why: 'in-sync',
    },
    {
      case: 'the echo of the last own write while the store moved on',
      desired: [a(1), a(2)],
      written: [w('10', a(1))],
      observed: obs('10', a(1)),
      why: 'own-write',
    },
    {
      case: 'the echo of an older own write, after a newer one',
      desired: [a(3)],
      written: [w('10', a(1)), w('12', a(2))],
      observed: obs('10', a(1)),
      why: 'own-write',
    },
    {
      case: 'an older object than the last own write (a lagging watch or cache)',
      desired: [a(2)],
      written: [w('12', a(2))],
      observed: obs('11'),
      why: 'stale',
    },
    {
      case: 'the last own body under a newer resourceVersion (the controller changed labels or spec)',
      desired: [a(1), a(2)],
      written: [w('10', a(1))],
      observed: obs('15', a(1)),
      why: 'own-write',
    },
    {
      case: 'a write whose answer never came (timeout), seen later',
      desired: [a(3)],
      written: [w('10', a(1)), w(undefined, a(1), a(2))],
      observed: obs('13', a(1), a(2)),
      why: 'own-write',
    },
  ])('$case → $why', ({ desired, written, observed, why }) => {
    expect(judgeStatus({ desired, written, observed })).toEqual({ repair: false, why });
  });
});

describe('judgeStatus: a foreign write is repaired', () => {
  it.each([
    {
      case: 'emptied',
      desired: [a(1), a(2)],
      observed: obs('20'),
      missing: ['10.0.0.1', '10.0.0.2'],
      extra: [],
      changed: [],
    },
    {
      case: 'an entry added',
      desired: [a(1)],
      observed: obs('20', a(1), a(9)),
      missing: [],
      extra: ['10.0.0.9'],
      changed: [],
    },
    {
      case: 'an entry removed',
      desired: [a(1), a(2), a(3)],
      observed: obs('20', a(1), a(3)),
      missing: ['10.0.0.2'],
      extra: [],
      changed: [],
    },
    {
      case: 'an address changed',
      desired: [a(1)],
      observed: obs('20', { ...a(1), address: '10.0.0.7' }),
      missing: ['10.0.0.1'],
      extra: ['10.0.0.7'],
      changed: [],
    },
    {
      case: 'another holder on the same address',
      desired: [a(1)],
      observed: obs('20', a(1, 'intruder')),
      missing: [],
      extra: [],
      changed: ['10.0.0.1'],
    },
    {
      case: 'an address listed twice',
      desired: [a(1)],
      observed: obs('20', a(1), a(1)),
      missing: [],
      extra: ['10.0.0.1'],
      changed: [],
    },
    {
      case: 'an older own body written back by someone else (new resourceVersion)',
      desired: [a(2)],
      observed: obs('20', a(1)),
      missing: ['10.0.0.2'],
      extra: ['10.0.0.1'],
      changed: [],
    },
    {
      case: 'no resourceVersion at all (cannot be an own write)',
      desired: [a(2)],
      observed: obs(undefined),
      missing: ['10.0.0.2'],
      extra: [],
      changed: [],
    },
  ])('$case', ({ desired, observed, missing, extra, changed }) => {
    const written = [w('10', a(1)), w('12', a(2))];
    const verdict = judgeStatus({ desired, written, observed });
    expect(verdict.repair).toBe(true);
    if (!verdict.repair) return;
    expect(verdict.diff).toEqual({ missing, extra, changed });
    for (const address of [...missing, ...extra, ...changed]) expect(verdict.message).toContain(address);
  });

  it('an unparseable resourceVersion is not ordered: only an exact own-write match or the last body is trusted', () => {
    const written = [w('x-2', a(2))];
    expect(judgeStatus({ desired: [a(2)], written, observed: obs('x-1') })).toMatchObject({ repair: true });
    expect(judgeStatus({ desired: [a(2), a(3)], written, observed: obs('x-1', a(2)) })).toEqual({
      repair: false,
      why: 'own-write',
    });
  });
});

describe('describeRepair', () => {
  it('counts each kind and names at most five addresses of each', () => {
    const desired = Array.from({ length: 8 }, (_, i) => a(i + 1));
    const diff = diffAllocations(desired, [a(1), a(2, 'other'), a(50)]);
    expect(diff).toEqual({
      missing: ['10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6', '10.0.0.7', '10.0.0.8'],
      extra: ['10.0.0.50'],
      changed: ['10.0.0.2'],
    });
    expect(describeRepair(diff, 8)).toBe(
      "status.allocations was written by someone other than this node's agent and differed from its checkpoint: 6 missing (10.0.0.3, 10.0.0.4, 10.0.0.5, 10.0.0.6, 10.0.0.7, …); 1 extra (10.0.0.50); 1 with another holder (10.0.0.2). Rewrote the 8 allocations the agent holds.",
    );
  });
});
