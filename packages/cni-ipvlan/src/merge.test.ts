import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CniResultSchema } from '@multinic/crd-types';
import type { CniResult } from '@multinic/crd-types';
import { mergeResults } from './merge.js';

const NETNS = '/run/netns/pod';

const macvlan = (name: string, address: string, extra: Partial<CniResult> = {}): CniResult => ({
  cniVersion: '1.1.0',
  interfaces: [{ name, mac: '0a:00:00:00:00:01', sandbox: NETNS }],
  ips: [{ address, interface: 0 }],
  ...extra,
});

describe('mergeResults', () => {
  it('two macvlan results: interfaces in order, each address points at its own interface', () => {
    const merged = mergeResults(
      [
        {
          podInterface: 'net1-0',
          result: macvlan('net1-0', '192.168.0.9/18', {
            routes: [{ dst: '10.0.0.0/8', gw: '192.168.0.1' }],
            dns: { nameservers: ['10.96.0.10'] },
          }),
        },
        {
          podInterface: 'net1-1',
          result: macvlan('net1-1', '192.168.64.9/18', { routes: [{ dst: '10.0.0.0/8', gw: '192.168.0.1' }], dns: {} }),
        },
      ],
      NETNS,
    );
    expect(merged).toEqual({
      cniVersion: '1.1.0',
      interfaces: [
        { name: 'net1-0', mac: '0a:00:00:00:00:01', sandbox: NETNS },
        { name: 'net1-1', mac: '0a:00:00:00:00:01', sandbox: NETNS },
      ],
      ips: [
        { address: '192.168.0.9/18', interface: 0 },
        { address: '192.168.64.9/18', interface: 1 },
      ],
      routes: [{ dst: '10.0.0.0/8', gw: '192.168.0.1' }],
      dns: { nameservers: ['10.96.0.10'] },
    });
  });

  it('a delegate that also reports a host-side interface keeps its container address on the container interface', () => {
    const withHost: CniResult = {
      cniVersion: '1.1.0',
      interfaces: [{ name: 'veth12' }, { name: 'net1-1', sandbox: NETNS }],
      ips: [{ address: '192.168.64.9/18', interface: 1 }],
    };
    const merged = mergeResults(
      [
        { podInterface: 'net1-0', result: macvlan('net1-0', '192.168.0.9/18') },
        { podInterface: 'net1-1', result: withHost },
      ],
      NETNS,
    );
    expect(merged.ips?.map((ip) => merged.interfaces?.[ip.interface ?? -1]?.name)).toEqual(['net1-0', 'net1-1']);
  });

  it('a delegate result without interfaces gets its pod interface, with the sandbox', () => {
    const bare: CniResult = { cniVersion: '1.1.0', ips: [{ address: '192.168.0.9/18' }] };
    expect(mergeResults([{ podInterface: 'net1-0', result: bare }], NETNS)).toEqual({
      cniVersion: '1.1.0',
      interfaces: [{ name: 'net1-0', sandbox: NETNS }],
      ips: [{ address: '192.168.0.9/18', interface: 0 }],
    });
  });

  const delegateResult = fc.record({
    hostSide: fc.boolean(),
    hasInterfaces: fc.boolean(),
    indexed: fc.boolean(),
    addresses: fc.integer({ min: 1, max: 2 }),
  });

  it('for any delegate results: every address points at its own pod interface, which carries the sandbox', () => {
    fc.assert(
      fc.property(fc.array(delegateResult, { minLength: 1, maxLength: 6 }), (specs) => {
        const outcomes = specs.map((s, i) => {
          const pod = `net1-${i}`;
          const interfaces = s.hasInterfaces
            ? [...(s.hostSide ? [{ name: `veth${i}` }] : []), { name: pod, sandbox: NETNS }]
            : undefined;
          const podIndex = s.hasInterfaces && s.hostSide ? 1 : 0;
          const ips = Array.from({ length: s.addresses }, (_, k) => ({
            address: `10.${i}.${k}.5/24`,
            ...(s.indexed && s.hasInterfaces ? { interface: podIndex } : {}),
          }));
          return {
            podInterface: pod,
            result: { cniVersion: '1.1.0' as const, ...(interfaces === undefined ? {} : { interfaces }), ips },
          };
        });
        const merged = mergeResults(outcomes, NETNS);
        expect(CniResultSchema.safeParse(merged).success).toBe(true);
        const sandboxed = (merged.interfaces ?? [])
          .filter((iface) => iface.sandbox === NETNS)
          .map((iface) => iface.name);
        expect(sandboxed).toEqual(specs.map((_, i) => `net1-${i}`));
        for (const ip of merged.ips ?? []) {
          const owner = merged.interfaces?.[ip.interface ?? -1];
          expect(owner?.name).toBe(`net1-${ip.address.split('.')[1]}`);
          expect(owner?.sandbox).toBe(NETNS);
        }
        expect(merged.ips).toHaveLength(specs.reduce((n, s) => n + s.addresses, 0));
      }),
    );
  });
});
