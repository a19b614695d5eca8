// Discovery on a real network namespace acting as a host: `ip` as the agent runs it, the routes the kernel really
// lists. A NIC's gateway is a next hop of a main-table route through it, inside its network.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_EXCLUDE_KINDS, DEFAULT_EXCLUDE_NAMES } from '../src/discovery/nics.js';
import { readNics } from '../src/discovery/reader.js';
import { TestHost, eventually, ip } from './helpers.js';

let host: TestHost | undefined;

function theHost(): TestHost {
  if (host === undefined) throw new Error('no test host');
  return host;
}

const options = {
  excludeNames: DEFAULT_EXCLUDE_NAMES.map((s) => new RegExp(s)),
  excludeKinds: DEFAULT_EXCLUDE_KINDS,
  includeDefaultRoute: false,
  includeDown: false,
  includeUnaddressed: false,
};

beforeAll(async () => {
  host = new TestHost();
  const ns = host.ns;
  host.addNic({ name: 'eth0', cidr: '10.20.0.2/24', defaultVia: '10.20.0.1' });
  host.addNic({ name: 'eth1', cidr: '10.20.1.2/24' });
  host.addNic({ name: 'eth2', cidr: '10.20.2.2/24' });
  host.addNic({ name: 'eth3', cidr: '10.20.3.2/24' });
  host.addNic({ name: 'eth4', cidr: 'fd20:4::2/64' });
  // eth5: IPv4 and IPv6 (nodad); eth6: IPv6 only, two addresses; eth7: IPv6 only, DAD running for 60 s (60 probes,
  // one a second), so its address stays tentative through the test.
  host.addNic({ name: 'eth5', cidr: '10.20.5.2/24', more: ['fd20:5::2/64'] });
  host.addNic({ name: 'eth6', cidr: 'fd20:6::2/64', more: ['fd20:66::2/80'] });
  host.addNic({ name: 'eth7', up: false });
  execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.eth7.dad_transmits=60']);
  ip(['-n', ns, 'addr', 'add', 'fd20:7::2/64', 'dev', 'eth7']);
  ip(['-n', ns, 'link', 'set', 'eth7', 'up']);
  // A veth's operstate follows its carrier a moment after `up`; discovery skips a NIC that is still down.
  const names = ['eth0', 'eth1', 'eth2', 'eth3', 'eth4', 'eth5', 'eth6', 'eth7'];
  await eventually(() => {
    const down = theHost()
      .json<{ ifname: string; operstate: string }[]>(['link', 'show'])
      .filter((l) => names.includes(l.ifname) && l.operstate !== 'UP');
    if (down.length > 0) throw new Error(`still down: ${down.map((l) => l.ifname).join(', ')}`);
  });
  // eth1: a network route via its network's router; eth2: a route whose next hop is outside its network (onlink),
  // eth3: a route in another table only (the agent's own L3 tables look like this); eth4: an IPv6 next hop.
  ip(['-n', ns, 'route', 'add', '192.0.2.0/24', 'via', '10.20.1.254', 'dev', 'eth1']);
  ip(['-n', ns, 'route', 'add', '198.51.100.0/24', 'via', '10.20.9.1', 'dev', 'eth2', 'onlink']);
  ip(['-n', ns, 'route', 'add', '203.0.113.0/24', 'via', '10.20.3.7', 'dev', 'eth3', 'table', '1000']);
  ip(['-n', ns, 'route', 'add', '2001:db8::/32', 'via', 'fd20:4::1', 'dev', 'eth4']);
}, 30_000);

afterAll(() => {
  host?.destroy();
});

describe('discovery in a network namespace', () => {
  it("reports each NIC's gateway from the main table's routes through it, only when the next hop is in its network", async () => {
    const result = await readNics(theHost().ops(), options);
    expect(result.nics.map((n) => [n.interfaceName, n.netAddress, n.gateway])).toEqual([
      ['eth1', '10.20.1.0/24', '10.20.1.254'],
      ['eth2', '10.20.2.0/24', undefined],
      ['eth3', '10.20.3.0/24', undefined],
      ['eth4', 'fd20:4::/64', 'fd20:4::1'],
      ['eth5', '10.20.5.0/24', undefined],
      ['eth6', 'fd20:6::/64', undefined],
    ]);
    expect(result.nics.map((n) => n.interfaceName)).not.toContain('eth7');
    expect(result.skipped).toContainEqual({ interfaceName: 'eth0', reason: 'carries the default route' });
  });

  it('reports every global address of a NIC (IPv4 and IPv6, no link-local); netAddress is the IPv4 one, else the first IPv6 one', async () => {
    const result = await readNics(theHost().ops(), options);
    const byName = new Map(result.nics.map((n) => [n.interfaceName, n]));
    expect([byName.get('eth5'), byName.get('eth6')].map((n) => [n?.netAddress, n?.hostIP, n?.addresses])).toEqual([
      ['10.20.5.0/24', '10.20.5.2', ['10.20.5.2/24', 'fd20:5::2/64']],
      ['fd20:6::/64', 'fd20:6::2', ['fd20:6::2/64', 'fd20:66::2/80']],
    ]);
  });

  it('leaves out an address the kernel still holds tentative (DAD running): a NIC with no other address is not reported', async () => {
    const kernel = theHost().json<{ addr_info: { local: string; tentative?: boolean }[] }[]>(['addr', 'show', 'eth7']);
    expect(kernel[0]?.addr_info.find((a) => a.local === 'fd20:7::2')?.tentative).toBe(true);
    const result = await readNics(theHost().ops(), options);
    expect(result.nics.map((n) => n.interfaceName)).not.toContain('eth7');
    expect(result.skipped).toContainEqual({ interfaceName: 'eth7', reason: 'no global IPv4 or IPv6 address' });
  });

  it('follows the host: a default route through a NIC makes its next hop the gateway; a deleted route takes it away', async () => {
    const ns = theHost().ns;
    ip(['-n', ns, 'route', 'add', '203.0.113.0/24', 'via', '10.20.3.1', 'dev', 'eth3']);
    ip(['-n', ns, 'route', 'add', 'default', 'via', '10.20.1.1', 'dev', 'eth1', 'metric', '500']);
    ip(['-n', ns, 'route', 'del', '2001:db8::/32']);
    const result = await readNics(theHost().ops(), { ...options, includeDefaultRoute: true });
    expect(result.nics.map((n) => [n.interfaceName, n.gateway])).toEqual([
      ['eth0', '10.20.0.1'],
      ['eth1', '10.20.1.1'],
      ['eth2', undefined],
      ['eth3', '10.20.3.1'],
      ['eth4', undefined],
      ['eth5', undefined],
      ['eth6', undefined],
    ]);
  });
});
