// Discovery on a real network namespace acting as a host: `ip` as the agent runs it, the routes the kernel really
// lists. A NIC's gateway is a next hop of a main-table route through it, inside its network.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_EXCLUDE_KINDS, DEFAULT_EXCLUDE_NAMES } from '../src/discovery/nics.js';
import { readNics } from '../src/discovery/reader.js';
import { TestHost, ip } from './helpers.js';

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

beforeAll(() => {
  host = new TestHost();
  const ns = host.ns;
  host.addNic({ name: 'eth0', cidr: '10.20.0.2/24', defaultVia: '10.20.0.1' });
  host.addNic({ name: 'eth1', cidr: '10.20.1.2/24' });
  host.addNic({ name: 'eth2', cidr: '10.20.2.2/24' });
  host.addNic({ name: 'eth3', cidr: '10.20.3.2/24' });
  host.addNic({ name: 'eth4', cidr: 'fd20:4::2/64' });
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
    ]);
    expect(result.skipped).toContainEqual({ interfaceName: 'eth0', reason: 'carries the default route' });
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
    ]);
  });
});
