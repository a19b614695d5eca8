import { describe, expect, it } from '@jest/globals';
import type { Plugin } from '@multinic/crd-types';
import fc from 'fast-check';
import { parsePlugin, pluginFromJson, pluginJson } from './plugin.js';
import type { PluginConfig } from './plugin.js';

function parsed(plugin: Plugin, defaultVlanMode?: 'l2' | 'l3' | 'l3s'): PluginConfig {
  const result = parsePlugin(plugin, defaultVlanMode === undefined ? {} : { defaultVlanMode });
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

describe('parsePlugin', () => {
  it.each<{ case: string; type: string; args: Record<string, unknown>; json: Record<string, unknown> }>`
    case                                   | type             | args                                                                                                                                                         | json
    ${'ipvlan defaults to l2'}             | ${'ipvlan'}      | ${{}}                                                                                                                                                        | ${{ mode: 'l2' }}
    ${'ipvlan l3s, mtu from a string'}     | ${'ipvlan'}      | ${{ mode: 'l3s', mtu: '9000' }}                                                                                                                              | ${{ mode: 'l3s', mtu: 9000 }}
    ${'macvlan defaults to bridge'}        | ${'macvlan'}     | ${{ mtu: 1500 }}                                                                                                                                             | ${{ mode: 'bridge', mtu: 1500 }}
    ${'macvlan passthru'}                  | ${'macvlan'}     | ${{ mode: 'passthru' }}                                                                                                                                      | ${{ mode: 'passthru' }}
    ${'host-device by name'}               | ${'host-device'} | ${{}}                                                                                                                                                        | ${{}}
    ${'host-device by PCI, with resource'} | ${'host-device'} | ${{ pciBusID: 'true', resourceName: 'x.io/nic' }}                                                                                                            | ${{ pciBusID: true, resourceName: 'x.io/nic' }}
    ${'sriov CNI spellings'}               | ${'sriov'}       | ${{ resourceName: 'r/vf', spoofchk: 'on', min_tx_rate: 10, max_tx_rate: 100, link_state: 'auto' }}                                                           | ${{ resourceName: 'r/vf', spoofchk: 'on', link_state: 'auto', min_tx_rate: 10, max_tx_rate: 100 }}
    ${'sriov SriovNetwork spellings'}      | ${'sriov'}       | ${{ resourceName: 'r/vf', spoofChk: false, trust: 'true', minTxRate: '0', maxTxRate: '0', linkState: 'disable', vlan: 7, vlanQoS: 1, vlanProto: '802.1ad' }} | ${{ resourceName: 'r/vf', vlan: 7, vlanQoS: 1, vlanProto: '802.1ad', spoofchk: 'off', trust: 'on', link_state: 'disable', min_tx_rate: 0, max_tx_rate: 0 }}
    ${'aws-ipvlan'}                        | ${'aws-ipvlan'}  | ${{ mode: 'l3', mtu: 9001 }}                                                                                                                                 | ${{ mode: 'l3', mtu: 9001 }}
  `('$case', ({ type, args, json }) => {
    const config = parsed({ cniVersion: '1.0.0', type, args });
    expect(pluginJson(config)).toEqual({ cniVersion: '1.0.0', type, ...json });
  });

  it('every sriov setting survives, none is dropped', () => {
    const args = {
      resourceName: 'r/vf',
      vlan: 4094,
      vlanQoS: 7,
      vlanProto: '802.1q',
      spoofchk: 'off',
      trust: 'off',
      link_state: 'enable',
      min_tx_rate: 1,
      max_tx_rate: 2,
    };
    expect(Object.keys(pluginJson(parsed({ cniVersion: '0.4.0', type: 'sriov', args })))).toEqual([
      'cniVersion',
      'type',
      ...Object.keys(args),
    ]);
  });

  it("ipvlan takes the network's vlanMode when args.mode is absent", () => {
    expect(parsed({ cniVersion: '1.0.0', type: 'ipvlan' }, 'l3')).toMatchObject({ mode: 'l3' });
    expect(parsed({ cniVersion: '1.0.0', type: 'ipvlan', args: { mode: 'l2' } }, 'l3')).toMatchObject({ mode: 'l2' });
  });

  it('keeps capabilities and dns, keys sorted', () => {
    const config = parsed({
      cniVersion: '1.0.0',
      type: 'macvlan',
      capabilities: { mac: true, ips: true },
      dns: { search: ['a'], nameservers: ['10.0.0.10'] },
    });
    expect(JSON.stringify(pluginJson(config))).toBe(
      '{"cniVersion":"1.0.0","type":"macvlan","mode":"bridge","capabilities":{"ips":true,"mac":true},"dns":{"nameservers":["10.0.0.10"],"search":["a"]}}',
    );
  });

  it.each<{ case: string; plugin: Plugin; error: string }>`
    case                      | plugin                                                                                                 | error
    ${'unknown type'}         | ${{ cniVersion: '1.0.0', type: 'bridge' }}                                                             | ${'plugin.type "bridge" is not supported: use one of ipvlan, macvlan, host-device, sriov, aws-ipvlan'}
    ${'unknown version'}      | ${{ cniVersion: '0.2.0', type: 'ipvlan' }}                                                             | ${'plugin.cniVersion "0.2.0" is not supported'}
    ${'unknown arg'}          | ${{ cniVersion: '1.0.0', type: 'ipvlan', args: { mode: 'l3', mtuu: 1 } }}                              | ${'plugin.args: mtuu is not a ipvlan setting: use mode, mtu'}
    ${'bad ipvlan mode'}      | ${{ cniVersion: '1.0.0', type: 'ipvlan', args: { mode: 'bridge' } }}                                   | ${'plugin.args.mode must be one of "l2", "l3", "l3s", not "bridge"'}
    ${'bad macvlan mode'}     | ${{ cniVersion: '1.0.0', type: 'macvlan', args: { mode: 'l3' } }}                                      | ${'plugin.args.mode must be one of "bridge", "private", "vepa", "passthru"'}
    ${'mtu too small'}        | ${{ cniVersion: '1.0.0', type: 'macvlan', args: { mtu: '40' } }}                                       | ${'plugin.args.mtu must be an MTU: an integer from 68 to 65535, not "40"'}
    ${'mtu not a number'}     | ${{ cniVersion: '1.0.0', type: 'macvlan', args: { mtu: 'big' } }}                                      | ${'not "big"'}
    ${'sriov needs resource'} | ${{ cniVersion: '1.0.0', type: 'sriov', args: { vlan: 1 } }}                                           | ${'plugin.args.resourceName is required for sriov'}
    ${'two spellings'}        | ${{ cniVersion: '1.0.0', type: 'sriov', args: { resourceName: 'r', spoofchk: 'on', spoofChk: 'on' } }} | ${'spoofchk and spoofChk are the same setting'}
    ${'vlan out of range'}    | ${{ cniVersion: '1.0.0', type: 'sriov', args: { resourceName: 'r', vlan: 4095 } }}                     | ${'plugin.args.vlan must be a VLAN id (0 = none): an integer from 0 to 4094'}
    ${'qos without vlan'}     | ${{ cniVersion: '1.0.0', type: 'sriov', args: { resourceName: 'r', vlanQoS: 2 } }}                     | ${'vlanQoS needs a vlan other than 0'}
    ${'min above max'}        | ${{ cniVersion: '1.0.0', type: 'sriov', args: { resourceName: 'r', minTxRate: 20, maxTxRate: 10 } }}   | ${'min_tx_rate 20 is above max_tx_rate 10'}
    ${'spoofchk not on/off'}  | ${{ cniVersion: '1.0.0', type: 'sriov', args: { resourceName: 'r', spoofchk: 'yes' } }}                | ${'plugin.args.spoofchk must be "on" or "off"'}
    ${'bad capabilities'}     | ${{ cniVersion: '1.0.0', type: 'macvlan', capabilities: { mac: 'yes' } } as unknown as Plugin}         | ${'plugin.capabilities must map capability names to true or false'}
    ${'mtu on host-device'}   | ${{ cniVersion: '1.0.0', type: 'host-device', args: { mtu: 1500 } }}                                   | ${'mtu is not a host-device setting: use pciBusID, resourceName'}
  `('$case', ({ plugin, error }) => {
    const result = parsePlugin(plugin);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(error);
  });

  it('pluginFromJson(pluginJson(p)) = p for every valid plugin', () => {
    const plugins = fc.oneof(
      fc.record({
        type: fc.constantFrom('ipvlan', 'aws-ipvlan'),
        args: fc.record(
          { mode: fc.constantFrom('l2', 'l3', 'l3s'), mtu: fc.integer({ min: 68, max: 65535 }) },
          { requiredKeys: [] },
        ),
      }),
      fc.record({
        type: fc.constant('macvlan'),
        args: fc.record(
          { mode: fc.constantFrom('bridge', 'private', 'vepa', 'passthru'), mtu: fc.integer({ min: 68, max: 65535 }) },
          { requiredKeys: [] },
        ),
      }),
      fc.record({
        type: fc.constant('host-device'),
        args: fc.record(
          { pciBusID: fc.boolean(), resourceName: fc.constantFrom('a/b', 'x.io/y') },
          { requiredKeys: [] },
        ),
      }),
      fc.record({
        type: fc.constant('sriov'),
        args: fc.record(
          {
            resourceName: fc.constant('r/vf'),
            vlan: fc.integer({ min: 1, max: 4094 }),
            spoofchk: fc.constantFrom('on', 'off'),
            trust: fc.constantFrom('on', 'off'),
            link_state: fc.constantFrom('auto', 'enable', 'disable'),
            max_tx_rate: fc.integer({ min: 0, max: 100_000 }),
          },
          { requiredKeys: ['resourceName'] },
        ),
      }),
    );
    fc.assert(
      fc.property(plugins, fc.constantFrom('0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'), (p, cniVersion) => {
        const config = parsed({ cniVersion, type: p.type, args: p.args } as Plugin);
        const back = pluginFromJson(JSON.parse(JSON.stringify(pluginJson(config))));
        expect(back).toEqual({ ok: true, value: config });
      }),
    );
  });
});
