import { describe, expect, it } from '@jest/globals';
import { buildDelegates, buildPassThroughDelegates, podInterfaceName } from './delegate.js';
import type { DelegateNic } from './delegate.js';
import { parsePlugin } from './plugin.js';
import type { PluginConfig } from './plugin.js';

function plugin(type: string, args: Record<string, unknown> = {}): PluginConfig {
  const r = parsePlugin({ cniVersion: '1.0.0', type, args });
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

const eth1: DelegateNic = {
  interfaceName: 'eth1',
  podInterface: 'net1-0',
  address: '192.168.0.1',
  vlanCIDR: '192.168.0.0/18',
  pciAddress: '0000:3b:00.2',
};
const eth2: DelegateNic = {
  interfaceName: 'eth2',
  podInterface: 'net1-1',
  address: '192.168.0.2/18',
  vlanCIDR: '192.168.0.0/18',
};

describe('buildDelegates', () => {
  it('name = pod interface, master = the NIC, static IPAM with the vlan block prefix length', () => {
    const r = buildDelegates({ plugin: plugin('ipvlan', { mode: 'l3', mtu: 9000 }), nics: [eth1] });
    expect(r.ok && r.value.delegates).toEqual([
      {
        podInterface: 'net1-0',
        hostInterface: 'eth1',
        config: {
          cniVersion: '1.0.0',
          name: 'net1-0',
          type: 'ipvlan',
          master: 'eth1',
          mode: 'l3',
          mtu: 9000,
          ipam: { type: 'static', addresses: [{ address: '192.168.0.1/18' }] },
        },
      },
    ]);
  });

  it('key order is fixed', () => {
    const r = buildDelegates({
      plugin: plugin('macvlan', { mtu: 1500, mode: 'vepa' }),
      nics: [{ ...eth1, gateway: '192.168.0.254' }],
    });
    expect(r.ok && JSON.stringify(r.value.delegates[0]?.config)).toBe(
      '{"cniVersion":"1.0.0","name":"net1-0","type":"macvlan","master":"eth1","mode":"vepa","mtu":1500,"ipam":{"type":"static","addresses":[{"address":"192.168.0.1/18","gateway":"192.168.0.254"}]}}',
    );
  });

  it('two NICs on one subnet are two delegates', () => {
    const r = buildDelegates({ plugin: plugin('macvlan'), nics: [eth1, eth2] });
    expect(r.ok && r.value.delegates.map((d) => [d.podInterface, d.hostInterface, d.config['master']])).toEqual([
      ['net1-0', 'eth1', 'eth1'],
      ['net1-1', 'eth2', 'eth2'],
    ]);
  });

  it.each<{ type: string; args: Record<string, unknown>; fields: Record<string, unknown> }>`
    type             | args                                     | fields
    ${'host-device'} | ${{}}                                    | ${{ device: 'eth1' }}
    ${'host-device'} | ${{ pciBusID: true, resourceName: 'r' }} | ${{ pciBusID: '0000:3b:00.2' }}
    ${'sriov'}       | ${{ resourceName: 'r', vlan: 5 }}        | ${{ deviceID: '0000:3b:00.2', vlan: 5 }}
  `('$type $args attaches by $fields', ({ type, args, fields }) => {
    const r = buildDelegates({ plugin: plugin(type, args), nics: [eth1] });
    const config = r.ok ? r.value.delegates[0]?.config : undefined;
    expect(config).toMatchObject(fields);
    expect(config).not.toHaveProperty('master');
    expect(config).not.toHaveProperty('resourceName');
  });

  it('adds the agent routes of a NIC unless the network already routes that destination', () => {
    const r = buildDelegates({
      plugin: plugin('macvlan'),
      nics: [{ ...eth1, routes: [{ dst: '10.9.0.0/16', gw: '192.168.0.9' }, { dst: '10.7.0.0/16' }] }],
      routes: [{ dst: '10.9.0.0/16', gw: '192.168.0.8' }],
    });
    expect(r.ok && r.value.delegates[0]?.config['ipam']).toEqual({
      type: 'static',
      addresses: [{ address: '192.168.0.1/18' }],
      routes: [{ dst: '10.9.0.0/16', gw: '192.168.0.8' }, { dst: '10.7.0.0/16' }],
    });
  });

  it('dns of the plugin goes into IPAM', () => {
    const p = parsePlugin({ cniVersion: '1.0.0', type: 'macvlan', dns: { nameservers: ['10.0.0.10'] } });
    const r = p.ok ? buildDelegates({ plugin: p.value, nics: [eth1] }) : p;
    expect(r.ok && r.value.delegates[0]?.config['ipam']).toMatchObject({ dns: { nameservers: ['10.0.0.10'] } });
  });

  it.each<{ case: string; nic: DelegateNic; type: string; error: string }>`
    case                           | nic                                        | type         | error
    ${'prefix length mismatch'}    | ${{ ...eth1, address: '192.168.0.1/24' }}  | ${'macvlan'} | ${'nics[0] (eth1).address 192.168.0.1/24 must have the prefix length of vlanCIDR 192.168.0.0/18 (/18)'}
    ${'address outside block'}     | ${{ ...eth1, address: '10.0.0.1' }}        | ${'macvlan'} | ${'net1-0: address 10.0.0.1 is not inside the interface network 192.168.0.0/18'}
    ${'bad address'}               | ${{ ...eth1, address: '192.168.0.300' }}   | ${'macvlan'} | ${'nics[0] (eth1).address: '}
    ${'bad vlanCIDR'}              | ${{ ...eth1, vlanCIDR: '192.168.0.1/18' }} | ${'macvlan'} | ${'nics[0] (eth1).vlanCIDR: '}
    ${'sriov without PCI address'} | ${eth2}                                    | ${'sriov'}   | ${'NIC eth2 has no PCI address: sriov needs the VF'}
  `('error: $case', ({ nic, type, error }) => {
    const r = buildDelegates({ plugin: plugin(type, type === 'sriov' ? { resourceName: 'r' } : {}), nics: [nic] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(error);
  });

  it('podInterfaceName: the first NIC is exactly CNI_IFNAME (what Multus names and routes), the others <ifname>-<i>', () => {
    expect([0, 1, 2, 10].map((i) => podInterfaceName('net1', i))).toEqual(['net1', 'net1-1', 'net1-2', 'net1-10']);
    expect(podInterfaceName('rail', 0)).toBe('rail');
  });
});

describe('buildDelegates: dual-stack NICs (ADR 0006 decision 6)', () => {
  const dual = (i: number): DelegateNic => ({
    interfaceName: `eth${i}`,
    podInterface: i === 1 ? 'net1' : `net1-${i - 1}`,
    address: `192.168.${i}.5/24`,
    vlanCIDR: `192.168.${i}.0/24`,
    gateway: `192.168.${i}.1`,
    otherFamily: { address: `fd00:${i}::5/64`, vlanCIDR: `fd00:${i}::/64`, gateway: `fd00:${i}::1` },
  });

  it("the delegate's static IPAM gets both addresses, each with its gateway, the first family first", () => {
    const r = buildDelegates({ plugin: plugin('macvlan', { mode: 'bridge' }), nics: [dual(1)] });
    expect(r.ok && r.value.delegates[0]?.config['ipam']).toEqual({
      type: 'static',
      addresses: [
        { address: '192.168.1.5/24', gateway: '192.168.1.1' },
        { address: 'fd00:1::5/64', gateway: 'fd00:1::1' },
      ],
    });
  });

  it('two dual-stack NICs: one table each with both families, a rule per address, ECMP per family', () => {
    const r = buildDelegates({
      plugin: plugin('macvlan', { mode: 'bridge' }),
      nics: [dual(1), dual(2)],
      routes: [{ dst: '10.0.0.0/8' }, { dst: 'fd10::/32' }],
    });
    if (!r.ok) throw new Error(r.error);
    expect(r.value.routes.rules).toEqual([
      { priority: 1000, from: '192.168.1.5/32', table: 100 },
      { priority: 1000, from: 'fd00:1::5/128', table: 100 },
      { priority: 1001, from: '192.168.2.5/32', table: 101 },
      { priority: 1001, from: 'fd00:2::5/128', table: 101 },
    ]);
    expect(r.value.routes.tables[1]).toEqual({
      table: 101,
      dev: 'net1-1',
      routes: [
        { dst: '192.168.2.0/24', dev: 'net1-1', scope: 'link', src: '192.168.2.5' },
        { dst: '10.0.0.0/8', via: '192.168.2.1', dev: 'net1-1' },
        { dst: '0.0.0.0/0', via: '192.168.2.1', dev: 'net1-1' },
        { dst: 'fd00:2::/64', dev: 'net1-1', scope: 'link', src: 'fd00:2::5' },
        { dst: 'fd10::/32', via: 'fd00:2::1', dev: 'net1-1' },
        { dst: '::/0', via: 'fd00:2::1', dev: 'net1-1' },
      ],
    });
    expect(r.value.routes.multipath).toEqual([
      {
        dst: '10.0.0.0/8',
        nexthops: [
          { via: '192.168.1.1', dev: 'net1' },
          { via: '192.168.2.1', dev: 'net1-1' },
        ],
      },
      {
        dst: 'fd10::/32',
        nexthops: [
          { via: 'fd00:1::1', dev: 'net1' },
          { via: 'fd00:2::1', dev: 'net1-1' },
        ],
      },
    ]);
  });

  it.each<{ case: string; other: DelegateNic['otherFamily']; error: string }>`
    case                         | other                                                        | error
    ${'the same family'}         | ${{ address: '192.168.9.5/24', vlanCIDR: '192.168.9.0/24' }} | ${"nics[0] (eth1).otherFamily.address 192.168.9.5/24 is of the same family as 192.168.1.5/24: it must be the other IP family's"}
    ${'a prefix length not /64'} | ${{ address: 'fd00:1::5/80', vlanCIDR: 'fd00:1::/64' }}      | ${'nics[0] (eth1).otherFamily.address fd00:1::5/80 must have the prefix length of vlanCIDR fd00:1::/64 (/64)'}
  `('a bad otherFamily is an error naming the field: $case', ({ other, error }) => {
    const r = buildDelegates({ plugin: plugin('macvlan'), nics: [{ ...dual(1), otherFamily: other }] });
    expect(r.ok ? undefined : r.error).toBe(error);
  });
});

describe('buildPassThroughDelegates (multiNICIPAM: false)', () => {
  const ipam = { type: 'host-local', ranges: [[{ subnet: '10.77.0.0/24' }]], dataDir: '/run/hl' };

  it("every delegate gets the network's ipam unchanged; no pod routes or rules of ours", () => {
    const r = buildPassThroughDelegates({
      plugin: plugin('macvlan', { mode: 'bridge' }),
      nics: [eth1, eth2],
      network: 'hl',
      ipam,
    });
    if (!r.ok) throw new Error(r.error);
    expect(r.value.delegates.map((d) => JSON.stringify(d.config))).toEqual([
      '{"cniVersion":"1.0.0","name":"hl","type":"macvlan","master":"eth1","mode":"bridge","ipam":{"type":"host-local","ranges":[[{"subnet":"10.77.0.0/24"}]],"dataDir":"/run/hl"}}',
      '{"cniVersion":"1.0.0","name":"hl","type":"macvlan","master":"eth2","mode":"bridge","ipam":{"type":"host-local","ranges":[[{"subnet":"10.77.0.0/24"}]],"dataDir":"/run/hl"}}',
    ]);
    expect(r.value.delegates.map((d) => [d.podInterface, d.hostInterface])).toEqual([
      ['net1-0', 'eth1'],
      ['net1-1', 'eth2'],
    ]);
    expect(r.value.routes).toMatchObject({ multipath: [], rules: [], tables: [] });
  });

  it('the device still comes from the NIC: sriov without a PCI address is an error', () => {
    const r = buildPassThroughDelegates({
      plugin: plugin('sriov', { resourceName: 'r' }),
      nics: [eth2],
      network: 'hl',
      ipam,
    });
    expect(r).toEqual({ ok: false, error: expect.stringContaining('NIC eth2 has no PCI address') });
  });
});
