// The boundaries of IPv6 plans: subnets /32 and /120, /64 host blocks of a /48, /56 interface blocks, and blocks
// that do not fit (a problem naming the field to change and by how much).
import { describe, expect, it } from '@jest/globals';
import { computePlan } from './planner.js';
import { hostLocalRange } from '../host-local.js';
import type { IPPoolPlan, PlanConfig, PlanHost, PlanProblemCode } from '../index.js';

const HOSTS: PlanHost[] = ['a', 'b'].map((name, n) => ({
  hostName: name,
  interfaces: [1, 2].map((net) => ({
    interfaceName: `eth${net}`,
    netAddress: `fd10:${net}::/64`,
    hostIP: `fd10:${net}::${n + 1}`,
  })),
}));

function plan(config: Pick<PlanConfig, 'subnet' | 'interfaceBlock' | 'hostBlock'>) {
  return computePlan({ networkName: 'v6', config: { masterNets: [], excludeCIDRs: [], ...config }, hosts: HOSTS });
}

describe('IPv6 plans at the boundaries', () => {
  it.each<{ subnet: string; interfaceBlock: number; hostBlock: number; vlans: string[]; pods: string[] }>`
    subnet              | interfaceBlock | hostBlock | vlans                                     | pods
    ${'fd00:1::/32'}    | ${0}           | ${0}      | ${['fd00:1::/32']}                        | ${['fd00:1::/32']}
    ${'fd00:1::/32'}    | ${8}           | ${16}     | ${['fd00:1::/40', 'fd00:1:100::/40']}     | ${['fd00:1::/56', 'fd00:1:0:100::/56', 'fd00:1:100::/56', 'fd00:1:100:100::/56']}
    ${'fd00:1::/32'}    | ${24}          | ${0}      | ${['fd00:1::/56', 'fd00:1:0:100::/56']}   | ${['fd00:1::/56', 'fd00:1:0:100::/56']}
    ${'fd00:1::/32'}    | ${0}           | ${32}     | ${['fd00:1::/32']}                        | ${['fd00:1::/64', 'fd00:1:0:1::/64']}
    ${'fd00:1::/32'}    | ${32}          | ${32}     | ${['fd00:1::/64', 'fd00:1:0:1::/64']}     | ${['fd00:1::/96', 'fd00:1::1:0:0/96', 'fd00:1:0:1::/96', 'fd00:1:0:1:0:1::/96']}
    ${'fd00:1:2::/48'}  | ${8}           | ${8}      | ${['fd00:1:2::/56', 'fd00:1:2:100::/56']} | ${['fd00:1:2::/64', 'fd00:1:2:1::/64', 'fd00:1:2:100::/64', 'fd00:1:2:101::/64']}
    ${'fd00::ab00/120'} | ${0}           | ${0}      | ${['fd00::ab00/120']}                     | ${['fd00::ab00/120']}
    ${'fd00::ab00/120'} | ${4}           | ${3}      | ${['fd00::ab00/124', 'fd00::ab10/124']}   | ${['fd00::ab00/127', 'fd00::ab02/127', 'fd00::ab10/127', 'fd00::ab12/127']}
    ${'fd00::ab00/120'} | ${1}           | ${6}      | ${['fd00::ab00/121', 'fd00::ab80/121']}   | ${['fd00::ab00/127', 'fd00::ab02/127', 'fd00::ab80/127', 'fd00::ab82/127']}
  `(
    '$subnet split by interfaceBlock $interfaceBlock and hostBlock $hostBlock',
    ({ subnet, interfaceBlock, hostBlock, vlans, pods }) => {
      const result = plan({ subnet, interfaceBlock, hostBlock });
      const fitting = 2 ** interfaceBlock >= 2 ? [] : ['NO_INTERFACE_INDEX'];
      const crowded = 2 ** hostBlock >= 2 ? [] : ['NO_HOST_INDEX'];
      expect(result.problems.map((p) => p.code)).toEqual([
        ...fitting,
        ...crowded.flatMap(() => vlans.map(() => 'NO_HOST_INDEX')),
      ]);
      expect(result.plan.cidr.map((e) => e.vlanCIDR)).toEqual(vlans);
      expect(result.ippools.map((p) => p.podCIDR)).toEqual(pods);
    },
  );

  it.each<{ subnet: string; interfaceBlock: number; hostBlock: number; code: PlanProblemCode; says: string }>`
    subnet              | interfaceBlock | hostBlock | code                    | says
    ${'fd00::ab00/120'} | ${4}           | ${4}      | ${'NO_ROOM_FOR_PODS'}   | ${'gives /128 pod blocks, which leave no address for pods (at most /127); lower config.hostBlock to at most 3 (or config.interfaceBlock), or use a larger subnet'}
    ${'fd00::ab00/120'} | ${8}           | ${0}      | ${'NO_ROOM_FOR_PODS'}   | ${'lower config.interfaceBlock to at most 7 and config.hostBlock to 0, or use a larger subnet'}
    ${'fd00:1::/32'}    | ${48}          | ${48}     | ${'NO_ROOM_FOR_PODS'}   | ${'gives /128 pod blocks'}
    ${'fd00:1::/32'}    | ${52}          | ${52}     | ${'NO_ROOM_FOR_PODS'}   | ${'lower config.hostBlock to at most 43'}
    ${'fd00:1::/32'}    | ${8}           | ${53}     | ${'INVALID_BLOCK_BITS'} | ${'config.hostBlock must be an integer from 0 to 52 (got 53)'}
    ${'fd00:1::/32'}    | ${64}          | ${0}      | ${'INVALID_BLOCK_BITS'} | ${'config.interfaceBlock must be an integer from 0 to 52 (got 64)'}
    ${'fd00::/128'}     | ${0}           | ${0}      | ${'NO_ROOM_FOR_PODS'}   | ${'use a subnet of at most /127'}
    ${'10.0.0.0/24'}    | ${3}           | ${4}      | ${'NO_ROOM_FOR_PODS'}   | ${'(at most /30); lower config.hostBlock to at most 3 (or config.interfaceBlock)'}
  `(
    '$subnet with interfaceBlock $interfaceBlock, hostBlock $hostBlock: $code plans nothing and says the fix',
    ({ subnet, interfaceBlock, hostBlock, code, says }) => {
      const result = plan({ subnet, interfaceBlock, hostBlock });
      expect(result.problems.map((p) => p.code)).toEqual([code]);
      expect(result.problems[0]?.reason).toContain(says);
      expect(result.plan.cidr).toEqual([]);
      expect(result.ippools).toEqual([]);
    },
  );
});

describe('IPv6 host-subnet mode on large NIC networks', () => {
  it('a /48 NIC network gets the default hostBlock 16: /64 slices, none holding a host address, the last usable to its end', () => {
    const nics: PlanHost[] = ['a', 'b'].map((name, n) => ({
      hostName: name,
      interfaces: [{ interfaceName: 'eth1', netAddress: 'fd20:1:2::/48', hostIP: `fd20:1:2::${n + 1}` }],
    }));
    const config: PlanConfig = { subnet: '', interfaceBlock: 0, masterNets: [], excludeCIDRs: [] };
    const result = computePlan({ networkName: 'hs', config, hosts: nics });
    expect(result.problems).toEqual([]);
    // Slice 0 holds the network address and both hosts' addresses: never handed out.
    expect(result.ippools.map((p) => [p.hostName, p.podCIDR, p.vlanCIDR])).toEqual([
      ['a', 'fd20:1:2:1::/64', 'fd20:1:2::/48'],
      ['b', 'fd20:1:2:2::/64', 'fd20:1:2::/48'],
    ]);
    const range = hostLocalRange({ pool: result.ippools[1] as IPPoolPlan });
    expect(range.ok && [range.value.rangeStart, range.value.rangeEnd]).toEqual([
      'fd20:1:2:2::1',
      'fd20:1:2:2:ffff:ffff:ffff:ffff',
    ]);
  });
});
