import { describe, expect, it } from '@jest/globals';
import { checkNetworkSpec } from './spec.js';

const network = (spec: Record<string, unknown>, name = 'net-a'): unknown => ({
  apiVersion: 'multinic.dev/v1',
  kind: 'MultiNicNetwork',
  metadata: { name },
  spec: {
    subnet: '192.168.0.0/16',
    masterNets: ['10.0.1.0/24'],
    ipam: { type: 'multi-nic-ipam', interfaceBlock: 2, hostBlock: 6, vlanMode: 'l2' },
    multiNICIPAM: true,
    plugin: { cniVersion: '1.0.0', type: 'macvlan', args: { mode: 'bridge' } },
    ...spec,
  },
});

describe('checkNetworkSpec', () => {
  it('accepts a valid network and returns it parsed', () => {
    const res = checkNetworkSpec(network({}));
    expect(res.ok && res.value.metadata.name).toBe('net-a');
  });

  it.each([
    { case: 'schema: a subnet that is no prefix', spec: { subnet: 'nope' }, problem: /^spec\.subnet: / },
    {
      case: 'plan config: blocks that do not fit the subnet',
      spec: { ipam: { type: 'multi-nic-ipam', interfaceBlock: 8, hostBlock: 10 } },
      problem: /interfaceBlock 8 \+ hostBlock 10 do not fit subnet 192\.168\.0\.0\/16/,
    },
    {
      case: 'NAD: sriov without the device-plugin resource',
      spec: { plugin: { cniVersion: '1.0.0', type: 'sriov' } },
      problem: /plugin\.args\.resourceName is required for sriov/,
    },
    {
      case: 'NAD: an unknown plugin arg',
      spec: { plugin: { cniVersion: '1.0.0', type: 'macvlan', args: { colour: 'blue' } } },
      problem: /plugin\.args: colour is not a macvlan setting/,
    },
  ])('refuses $case, saying which field', ({ spec, problem }) => {
    const res = checkNetworkSpec(network(spec));
    expect(res.ok).toBe(false);
    expect(res.ok ? [] : res.problems).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
  });

  it('checks each pod subnet of a dual-stack network, naming the entry', () => {
    const dual = (v6: Record<string, unknown>) =>
      checkNetworkSpec(
        network({ subnet: undefined, subnets: [{ cidr: '192.168.0.0/16' }, { cidr: 'fd00:10::/48', ...v6 }] }),
      );
    const ok = dual({ interfaceBlock: 8, hostBlock: 8 });
    expect(ok.ok && ok.value.spec.subnets?.length).toBe(2);
    const bad = dual({ interfaceBlock: 8, hostBlock: 80 });
    expect(bad.ok ? [] : bad.problems).toEqual([expect.stringMatching(/^spec\.subnets\[1\]\.hostBlock: /)]);
  });

  it('refuses a name that cannot name a NetworkAttachmentDefinition', () => {
    const res = checkNetworkSpec(network({}, 'net.a'));
    expect(res.ok ? [] : res.problems).toEqual([
      expect.stringMatching(/metadata\.name "net\.a" cannot name a NetworkAttachmentDefinition/),
    ]);
  });
});
