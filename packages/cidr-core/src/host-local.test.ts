import { describe, expect, it } from '@jest/globals';
import { hostLocalRange } from './host-local.js';
import type { HostLocalErrorCode } from './codes.js';
import type { HostLocalSettings } from './host-local.js';

describe('hostLocalRange from a planned pool', () => {
  it.each<{ podCIDR: string; vlanCIDR: string; excludes: string[]; gateway: string | undefined; expected: object }>`
    podCIDR               | vlanCIDR            | excludes             | gateway       | expected
    ${'192.168.1.0/24'}   | ${'192.168.0.0/18'} | ${[]}                | ${undefined}  | ${{ subnet: '192.168.0.0/18', rangeStart: '192.168.1.1', rangeEnd: '192.168.1.254', rangeSet: [{ subnet: '192.168.0.0/18', rangeStart: '192.168.1.1', rangeEnd: '192.168.1.254' }] }}
    ${'10.0.1.128/26'}    | ${'10.0.1.0/24'}    | ${['10.0.1.160/30']} | ${'10.0.1.1'} | ${{ subnet: '10.0.1.0/24', rangeStart: '10.0.1.129', rangeEnd: '10.0.1.190', gateway: '10.0.1.1', rangeSet: [{ subnet: '10.0.1.0/24', rangeStart: '10.0.1.129', rangeEnd: '10.0.1.159', gateway: '10.0.1.1' }, { subnet: '10.0.1.0/24', rangeStart: '10.0.1.164', rangeEnd: '10.0.1.190', gateway: '10.0.1.1' }] }}
    ${'fd00:0:0:40::/58'} | ${'fd00::/50'}      | ${[]}                | ${undefined}  | ${{ subnet: 'fd00::/50', rangeStart: 'fd00:0:0:40::1', rangeEnd: 'fd00::7f:ffff:ffff:ffff:ffff', rangeSet: [{ subnet: 'fd00::/50', rangeStart: 'fd00:0:0:40::1', rangeEnd: 'fd00::7f:ffff:ffff:ffff:ffff' }] }}
  `('pool $podCIDR in $vlanCIDR', ({ podCIDR, vlanCIDR, excludes, gateway, expected }) => {
    const result = hostLocalRange({
      pool: { podCIDR, vlanCIDR, excludes },
      ...(gateway === undefined ? {} : { gateway }),
    });
    expect(result).toEqual({ ok: true, value: expected });
  });

  it.each<{ podCIDR: string; vlanCIDR: string; excludes: string[]; code: HostLocalErrorCode; mentions: string }>`
    podCIDR             | vlanCIDR             | excludes              | code                   | mentions
    ${'192.168.1.0/24'} | ${'192.168.64.0/18'} | ${[]}                 | ${'NOT_INSIDE'}        | ${'not inside vlanCIDR'}
    ${'192.168.1.1/24'} | ${'192.168.0.0/18'}  | ${[]}                 | ${'HOST_BITS_SET'}     | ${'podCIDR'}
    ${'192.168.1.0/31'} | ${'192.168.0.0/18'}  | ${[]}                 | ${'NO_USABLE_ADDRESS'} | ${'no usable address'}
    ${'192.168.1.0/30'} | ${'192.168.0.0/18'}  | ${['192.168.1.0/30']} | ${'ALL_EXCLUDED'}      | ${'excluded'}
    ${'192.168.1.0/24'} | ${'192.168.0.0/18'}  | ${['x']}              | ${'NOT_A_PREFIX'}      | ${'excludes[0]'}
  `('refuses pool $podCIDR in $vlanCIDR ($code)', ({ podCIDR, vlanCIDR, excludes, code, mentions }) => {
    const result = hostLocalRange({ pool: { podCIDR, vlanCIDR, excludes } });
    expect(result.ok ? '' : result.error).toContain(mentions);
    expect(result.ok ? '' : result.code).toBe(code);
  });
});

describe('hostLocalRange from explicit settings', () => {
  const settings: HostLocalSettings = {
    defaults: { subnet: '10.10.0.0/16', gateway: '10.10.0.1' },
    hosts: {
      'node-a': {
        rangeStart: '10.10.1.10',
        rangeEnd: '10.10.1.200',
        interfaces: { eth2: { subnet: '10.20.0.0/24', rangeStart: '10.20.0.50', gateway: '10.20.0.254' } },
      },
      'node-b': { subnet: 'fd00:1::/64' },
    },
  };

  it.each<{ hostName: string; interfaceName: string; expected: object }>`
    hostName    | interfaceName | expected
    ${'node-a'} | ${'eth1'}     | ${{ subnet: '10.10.0.0/16', rangeStart: '10.10.1.10', rangeEnd: '10.10.1.200', gateway: '10.10.0.1' }}
    ${'node-a'} | ${'eth2'}     | ${{ subnet: '10.20.0.0/24', rangeStart: '10.20.0.50', rangeEnd: '10.20.0.254', gateway: '10.20.0.254' }}
    ${'node-c'} | ${'eth1'}     | ${{ subnet: '10.10.0.0/16', rangeStart: '10.10.0.1', rangeEnd: '10.10.255.254', gateway: '10.10.0.1' }}
    ${'node-b'} | ${'eth1'}     | ${{ subnet: 'fd00:1::/64', rangeStart: 'fd00:1::1', rangeEnd: 'fd00:1::ffff:ffff:ffff:ffff' }}
  `(
    '$hostName $interfaceName: interface over host over defaults, a level with its own subnet starts afresh',
    ({ hostName, interfaceName, expected }) => {
      const result = hostLocalRange({ hostName, interfaceName, settings });
      expect(result.ok && { ...result.value, rangeSet: undefined }).toEqual({ ...expected, rangeSet: undefined });
      expect(result.ok && result.value.rangeSet).toEqual([expected]);
    },
  );

  it.each<{ settings: HostLocalSettings; code: HostLocalErrorCode; mentions: string }>`
    settings                                                                                 | code                   | mentions
    ${{}}                                                                                    | ${'NO_SUBNET'}         | ${'has no subnet: set defaults.subnet, hosts.h.subnet or hosts.h.interfaces.i.subnet'}
    ${{ defaults: { subnet: '10.0.0.1/24' } }}                                               | ${'HOST_BITS_SET'}     | ${'host bits set'}
    ${{ defaults: { subnet: '10.0.0.0/24', rangeStart: '10.0.1.1' } }}                       | ${'NOT_USABLE'}        | ${'rangeStart 10.0.1.1 is not a usable address of subnet 10.0.0.0/24'}
    ${{ defaults: { subnet: '10.0.0.0/24', rangeEnd: '10.0.0.255' } }}                       | ${'NOT_USABLE'}        | ${'rangeEnd 10.0.0.255 is not a usable address'}
    ${{ defaults: { subnet: '10.0.0.0/24', rangeStart: '10.0.0.9', rangeEnd: '10.0.0.3' } }} | ${'RANGE_INVERTED'}    | ${'rangeStart 10.0.0.9 is after rangeEnd 10.0.0.3'}
    ${{ defaults: { subnet: '10.0.0.0/24', gateway: '10.0.0.0' } }}                          | ${'NOT_USABLE'}        | ${'gateway 10.0.0.0 is not a usable address'}
    ${{ defaults: { subnet: '10.0.0.0/24', gateway: '10.0.0.x' } }}                          | ${'INVALID_ADDRESS'}   | ${'gateway: "10.0.0.x" is not a valid IPv4 address'}
    ${{ defaults: { subnet: '10.0.0.0/31' } }}                                               | ${'NO_USABLE_ADDRESS'} | ${'no usable address'}
  `('explains bad settings ($code): $mentions', ({ settings: bad, code, mentions }) => {
    const result = hostLocalRange({ hostName: 'h', interfaceName: 'i', settings: bad });
    expect(result.ok ? '' : result.error).toContain(mentions);
    expect(result.ok ? '' : result.code).toBe(code);
  });
});
