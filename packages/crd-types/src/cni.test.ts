import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  CniErrorCode,
  CniNetworkConfigListSchema,
  CniNetworkConfigSchema,
  CniResultSchema,
  cniVersionSupports,
  convertResult,
  parseAndConvertResult,
  parseCniArgs,
} from './cni.js';
import type { CniResult } from './cni.js';
import { CNI_SPEC_VERSIONS } from './names.js';
import type { CniSpecVersion } from './names.js';
import { formatProblem, parseWith } from './problems.js';

// An ADD result of the multi-nic plugin: two pod interfaces, one address each, as Multus needs it
// (sandbox set, ips[].interface pointing at the pod-side interface).
const result100: CniResult = {
  cniVersion: '1.0.0',
  interfaces: [
    { name: 'net1-0', mac: '0c:42:a1:5e:7b:10', sandbox: '/var/run/netns/cni-1' },
    { name: 'net1-1', mac: '0c:42:a1:5e:7b:11', sandbox: '/var/run/netns/cni-1' },
  ],
  ips: [
    { address: '192.168.0.5/18', interface: 0 },
    { address: 'fd00:64::5/64', gateway: 'fd00:64::1', interface: 1 },
  ],
  routes: [{ dst: '192.168.0.0/16' }],
  dns: { nameservers: ['10.0.0.10'] },
};

function problems(schema: Parameters<typeof parseWith>[0], value: unknown): string[] {
  const r = parseWith(schema, value);
  return r.ok ? [] : r.problems.map(formatProblem);
}

describe('CNI results', () => {
  it('converts 1.0.0 down to 0.4.0/0.3.x with ips[].version from the address family', () => {
    for (const v of ['0.3.0', '0.3.1', '0.4.0'] as const) {
      const down = convertResult(result100, v);
      expect(down.cniVersion).toBe(v);
      expect(down.ips?.map((ip) => ip.version)).toEqual(['4', '6']);
      expect(problems(CniResultSchema, down)).toEqual([]);
    }
  });

  it('drops the 1.1.0-only fields when converting down', () => {
    const r110: CniResult = {
      cniVersion: '1.1.0',
      interfaces: [
        { name: 'net1', mac: '02:00:00:00:00:01', mtu: 9000, sandbox: '/proc/1/ns/net', pciID: '0000:3b:00.2' },
      ],
      ips: [{ address: '10.1.0.2/24', interface: 0 }],
      routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1', table: 100, priority: 10 }],
    };
    expect(convertResult(r110, '1.0.0')).toEqual({
      cniVersion: '1.0.0',
      interfaces: [{ name: 'net1', mac: '02:00:00:00:00:01', sandbox: '/proc/1/ns/net' }],
      ips: [{ address: '10.1.0.2/24', interface: 0 }],
      routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }],
    });
    expect(convertResult(r110, '1.1.0')).toEqual(r110);
  });

  it.each([
    {
      bad: '0.4.0 ips without version',
      value: { cniVersion: '0.4.0', ips: [{ address: '10.1.0.2/24' }] },
      expected: ['ips[0].version: is required in CNI 0.4.0 results ("4" or "6")'],
    },
    {
      bad: 'version that contradicts the address',
      value: { cniVersion: '0.3.1', ips: [{ version: '6', address: '10.1.0.2/24' }] },
      expected: ['ips[0].version: says IPv6 but 10.1.0.2/24 is IPv4'],
    },
    {
      bad: 'interface index out of range',
      value: { cniVersion: '1.0.0', interfaces: [], ips: [{ address: '10.1.0.2/24', interface: 0 }] },
      expected: ['ips[0].interface: points at interfaces[0], which does not exist'],
    },
    {
      bad: '1.1.0 field in a 1.0.0 result',
      value: { cniVersion: '1.0.0', interfaces: [{ name: 'net1', mtu: 1500 }] },
      expected: ['interfaces[0].mtu: is a CNI 1.1.0 field, not part of a 1.0.0 result'],
    },
    {
      bad: 'address without prefix',
      value: { cniVersion: '1.0.0', ips: [{ address: '10.1.0.2' }] },
      expected: ['ips[0].address: must be an address with prefix length such as 192.168.0.5/18, not "10.1.0.2"'],
    },
    {
      bad: 'unsupported version',
      value: { cniVersion: '0.2.0', ip4: { ip: '10.1.0.2/24' } },
      expected: [
        'cniVersion: unsupported CNI version "0.2.0": use one of 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0',
        'unknown field "ip4": remove it or check the spelling',
      ],
    },
  ])('rejects $bad', ({ value, expected }) => {
    expect(problems(CniResultSchema, value)).toEqual(expected);
  });

  const version = fc.constantFrom(...CNI_SPEC_VERSIONS);
  const resultArb = fc
    .record({
      octets: fc.array(fc.integer({ min: 1, max: 254 }), { minLength: 1, maxLength: 4 }),
      v6: fc.boolean(),
      from: version,
    })
    .map(({ octets, v6, from }): CniResult =>
      convertResult(
        {
          cniVersion: '1.0.0',
          interfaces: octets.map((_, i) => ({ name: `net1-${i}`, sandbox: '/proc/1/ns/net' })),
          ips: octets.map((o, i) => ({
            address: v6 && i % 2 === 1 ? `fd00::${o.toString(16)}/64` : `10.0.${i}.${o}/24`,
            interface: i,
          })),
        },
        from,
      ),
    );

  it('conversion between any two versions keeps addresses, interfaces and routes (down and back up is the identity)', () => {
    fc.assert(
      fc.property(resultArb, version, (result, to) => {
        const there = convertResult(result, to);
        expect(problems(CniResultSchema, there)).toEqual([]);
        expect(convertResult(there, result.cniVersion as CniSpecVersion)).toEqual(result);
      }),
    );
  });

  it('parseAndConvertResult maps failures to the spec codes', () => {
    const bad = parseAndConvertResult({ cniVersion: '1.0.0', ips: [{ address: 'x' }] }, '0.4.0');
    expect(bad.ok || bad.error.code).toBe(CniErrorCode.DecodingFailure);
    const incompatible = parseAndConvertResult(result100, '0.2.0');
    expect(incompatible.ok || incompatible.error).toEqual({
      cniVersion: '0.2.0',
      code: 1,
      msg: 'incompatible CNI versions: cannot convert a result to 0.2.0',
      details: 'supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0',
    });
    const good = parseAndConvertResult(result100, '0.3.1');
    expect(good.ok && good.value.ips?.[0]).toEqual({ version: '4', address: '192.168.0.5/18', interface: 0 });
  });
});

describe('CNI error codes and versions', () => {
  it('has the spec codes', () => {
    expect(CniErrorCode).toEqual({
      IncompatibleVersion: 1,
      UnsupportedField: 2,
      UnknownContainer: 3,
      InvalidEnvironment: 4,
      IoFailure: 5,
      DecodingFailure: 6,
      InvalidNetworkConfig: 7,
      TryAgainLater: 11,
      PluginNotAvailable: 50,
      PluginNotAvailableLimitedConnectivity: 51,
    });
  });

  it.each([
    { version: '0.3.1', command: 'CHECK', ok: false },
    { version: '0.4.0', command: 'CHECK', ok: true },
    { version: '1.0.0', command: 'GC', ok: false },
    { version: '1.1.0', command: 'GC', ok: true },
    { version: '1.0.0', command: 'STATUS', ok: false },
    { version: '1.1.0', command: 'STATUS', ok: true },
    { version: '0.3.0', command: 'ADD', ok: true },
  ] as const)('$command with $version: $ok', ({ version, command, ok }) => {
    expect(cniVersionSupports(version, command)).toBe(ok);
  });
});

describe('CNI configuration', () => {
  it('accepts a delegate ipvlan config with static IPAM and a conflist', () => {
    expect(
      problems(CniNetworkConfigSchema, {
        cniVersion: '1.0.0',
        name: 'multinic-ipvlanl3',
        type: 'ipvlan',
        master: 'eth1',
        mode: 'l3',
        ipam: { type: 'static', addresses: [{ address: '192.168.0.5/18' }] },
      }),
    ).toEqual([]);
    expect(
      problems(CniNetworkConfigListSchema, {
        cniVersion: '1.1.0',
        cniVersions: ['1.0.0', '1.1.0'],
        name: 'multinic-ipvlanl3',
        disableGC: false,
        plugins: [{ type: 'multi-nic', ipam: { type: 'multi-nic-ipam' } }, { type: 'tuning' }],
      }),
    ).toEqual([]);
  });

  it('accepts the delegate config Multus v4 writes for a device-plugin attachment (top-level deviceID/pciBusID, runtimeConfig of the declared capabilities)', () => {
    expect(
      problems(CniNetworkConfigSchema, {
        cniVersion: '1.0.0',
        name: 'rail',
        type: 'multi-nic',
        capabilities: { ips: true, mac: true, deviceID: true },
        deviceID: '0000:3b:00.2',
        pciBusID: '0000:3b:00.2',
        runtimeConfig: {
          ips: ['192.168.0.9/18'],
          mac: '0a:58:c0:a8:00:09',
          deviceID: '0000:3b:00.2',
          CNIDeviceInfoFile: '/var/run/k8s.cni.cncf.io/devinfo/cni/default-rail-c0ffee_net1',
        },
        args: { cni: { nics: 1 } },
        ipam: { type: 'multi-nic-ipam' },
      }),
    ).toEqual([]);
  });

  it.each([
    {
      bad: 'runtimeConfig.ips not a list',
      schema: CniNetworkConfigSchema,
      value: { cniVersion: '1.0.0', name: 'n', type: 'multi-nic', runtimeConfig: { ips: '10.0.0.1/24' } },
      expected: ['runtimeConfig.ips: must be a list, not the string "10.0.0.1/24"'],
    },
    {
      bad: 'deviceID not a string',
      schema: CniNetworkConfigSchema,
      value: { cniVersion: '1.0.0', name: 'n', type: 'multi-nic', deviceID: 3 },
      expected: ['deviceID: must be a string, not number 3'],
    },
    {
      bad: 'no type',
      schema: CniNetworkConfigSchema,
      value: { cniVersion: '1.0.0', name: 'n' },
      expected: ['type: is required'],
    },
    {
      bad: 'bad network name',
      schema: CniNetworkConfigSchema,
      value: { cniVersion: '1.0.0', name: '-n', type: 'ipvlan' },
      expected: ["name: must be a CNI network name: letters, digits, '_', '.', '-', starting with a letter or digit"],
    },
    {
      bad: 'empty plugin list',
      schema: CniNetworkConfigListSchema,
      value: { cniVersion: '1.0.0', name: 'n', plugins: [] },
      expected: ['plugins: must list at least one plugin'],
    },
  ])('rejects $bad', ({ schema, value, expected }) => {
    expect(problems(schema, value)).toEqual(expected);
  });

  it.each([
    {
      text: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0',
      value: { IgnoreUnknown: '1', K8S_POD_NAMESPACE: 'default', K8S_POD_NAME: 'web-0' },
    },
    { text: '', value: {} },
    { text: 'IP=10.1.1.11/24;', value: { IP: '10.1.1.11/24' } },
  ])('parses CNI_ARGS $text', ({ text, value }) => {
    expect(parseCniArgs(text)).toEqual({ ok: true, value });
  });

  it('reports a CNI_ARGS entry without =', () => {
    expect(parseCniArgs('A=1;B')).toEqual({ ok: false, error: 'CNI_ARGS: "B" is not KEY=VALUE' });
  });
});
