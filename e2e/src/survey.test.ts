import { describe, expect, it } from '@jest/globals';
import { formatTable, inCidr, type Attachment, type PingResult } from './survey.js';

describe('inCidr', () => {
  it.each([
    { address: '172.30.1.5/17', cidr: '172.30.1.0/24', inside: true },
    { address: '172.30.2.0', cidr: '172.30.1.0/24', inside: false },
    { address: '172.30.128.1', cidr: '172.30.128.0/17', inside: true },
    { address: '172.30.127.255', cidr: '172.30.128.0/17', inside: false },
    { address: '10.0.0.1', cidr: '0.0.0.0/0', inside: true },
    { address: 'fd00:30:0:1::5/64', cidr: 'fd00:30:0:1::/64', inside: true },
    { address: 'fd00:30:0:2::5', cidr: 'fd00:30:0:1::/64', inside: false },
    { address: 'fd00:30:ffff:ffff:ffff:ffff:ffff:ffff', cidr: 'fd00:30::/32', inside: true },
    { address: '10.0.0.1', cidr: '::/0', inside: false },
    { address: 'fd00::1', cidr: '0.0.0.0/0', inside: false },
  ])('$address in $cidr: $inside', ({ address, cidr, inside }) => {
    expect(inCidr(address, cidr)).toBe(inside);
  });
});

describe('formatTable', () => {
  it('counts the pings of each attachment on its own NIC network and names the failures', () => {
    const row = (pod: string, nic: string, address: string): Attachment => ({
      pod,
      host: 'host-1',
      interface: 'net1-0',
      address,
      nic,
      pool: undefined,
      nicNetwork: '10.10.1.0/24',
    });
    const rows = [row('a', 'eth1', '172.30.0.1/17'), row('b', 'eth1', '172.30.0.2/17')];
    const pings: PingResult[] = [
      { from: 'a', fromAddress: '172.30.0.1/17', to: 'b', nic: 'eth1', address: '172.30.0.2', family: 4, ok: true },
      { from: 'b', fromAddress: '172.30.0.2/17', to: 'a', nic: 'eth1', address: '172.30.0.1', family: 4, ok: false },
    ];
    const lines = formatTable(rows, pings).split('\n');
    expect(lines[1]).toMatch(/1\/1 ok$/);
    expect(lines[2]).toMatch(/0\/1 ok; FAILED: a\(172\.30\.0\.1\)$/);
  });
});
