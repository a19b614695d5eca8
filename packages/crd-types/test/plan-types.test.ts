// The CIDR resource's spec IS cidr-core's NetworkPlan: checked at the type level (typecheck fails otherwise)
// and at run time on a plan that cidr-core computes.
import { describe, expect, it } from '@jest/globals';
import { computePlan } from '@multinic/cidr-core';
import type { NetworkPlan } from '@multinic/cidr-core';
import { CidrSpecSchema, parseWith } from '@multinic/crd-types';
import type { CidrSpec } from '@multinic/crd-types';

type MutuallyAssignable<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const specIsPlan: MutuallyAssignable<CidrSpec, NetworkPlan> = true;

describe('CIDR spec = NetworkPlan', () => {
  it('the zod-inferred type and NetworkPlan are mutually assignable', () => {
    expect(specIsPlan).toBe(true);
  });

  it('a plan computed by cidr-core validates as a CIDR spec, unchanged', () => {
    const { plan } = computePlan({
      networkName: 'multinic-ipvlanl3',
      config: {
        subnet: '192.168.0.0/16',
        interfaceBlock: 2,
        hostBlock: 6,
        masterNets: ['10.0.1.0/24', '10.0.2.0/24'],
        excludeCIDRs: [],
      },
      hosts: [
        {
          hostName: 'host1',
          interfaces: [
            { interfaceName: 'eth1', netAddress: '10.0.1.0/24', hostIP: '10.0.1.1' },
            { interfaceName: 'eth2', netAddress: '10.0.2.0/24', hostIP: '10.0.2.1' },
          ],
        },
        {
          hostName: 'host2',
          interfaces: [
            { interfaceName: 'eth1', netAddress: '10.0.1.0/24', hostIP: '10.0.1.2' },
            { interfaceName: 'eth2', netAddress: '10.0.2.0/24', hostIP: '10.0.2.2' },
          ],
        },
      ],
    });
    const parsed = parseWith(CidrSpecSchema, JSON.parse(JSON.stringify(plan)));
    expect(parsed).toEqual({ ok: true, value: plan });
  });

  it('a host-subnet plan without hostBlock (the default per NIC network) validates as a CIDR spec, unchanged', () => {
    const { plan, problems } = computePlan({
      networkName: 'multinic-hostdevice',
      config: { subnet: '', interfaceBlock: 0, masterNets: ['10.0.3.0/24'], excludeCIDRs: [] },
      hosts: [
        {
          hostName: 'host1',
          interfaces: [{ interfaceName: 'eth1', netAddress: '10.0.3.0/24', hostIP: '10.0.3.1', gateway: '10.0.3.254' }],
        },
      ],
    });
    expect(problems).toEqual([]);
    const parsed = parseWith(CidrSpecSchema, JSON.parse(JSON.stringify(plan)));
    expect(parsed).toEqual({ ok: true, value: plan });
  });
});
