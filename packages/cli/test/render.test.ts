import { describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { cli, example, fixture } from './helpers.js';

const network = example('plan/network.yaml');
const hosts = example('plan/hosts.yaml');

describe('multinic render nad', () => {
  it('prints a Multus NetworkAttachmentDefinition whose config is the multi-nic NetConf as a JSON string', async () => {
    const { status, out, err } = await cli('render', 'nad', '-f', network, '-n', 'team-a');
    expect(err).toBe('');
    expect(status).toBe(0);
    const docs = parseAllDocuments(out).map(
      (d) => d.toJS() as { kind: string; metadata: { name: string; namespace: string }; spec: { config: string } },
    );
    expect(docs).toHaveLength(1);
    const nad = docs[0]!;
    expect(nad.kind).toBe('NetworkAttachmentDefinition');
    expect(nad.metadata).toMatchObject({ name: 'multinic-sample', namespace: 'team-a' });
    const config = JSON.parse(nad.spec.config) as Record<string, unknown>;
    expect(config).toMatchObject({
      type: 'multi-nic',
      name: 'multinic-sample',
      masterNets: ['10.0.1.0/24', '10.0.2.0/24'],
    });
    expect(config['plugin']).toMatchObject({ type: 'ipvlan', mode: 'l3' });
  });
});

describe('multinic render delegates', () => {
  it('renders one delegate per master with the allocated address at the vlan block length', async () => {
    const { status, out, err } = await cli(
      'render',
      'delegates',
      '-f',
      network,
      '--hosts',
      hosts,
      '--host',
      'host1',
      '--masters',
      'eth2,eth1',
      '--ips',
      '192.168.64.7,192.168.0.9',
    );
    expect(err).toBe('');
    expect(status).toBe(0);
    const delegates = JSON.parse(out) as {
      name?: string;
      type: string;
      master: string;
      ipam: { type: string; addresses: { address: string }[] };
    }[];
    expect(delegates.map((d) => [d.type, d.master, d.ipam.type, d.ipam.addresses[0]?.address])).toEqual([
      ['ipvlan', 'eth2', 'static', '192.168.64.7/18'],
      ['ipvlan', 'eth1', 'static', '192.168.0.9/18'],
    ]);
  });

  it('with -o plan also prints the pod interfaces and the pod-side route plan', async () => {
    const { status, out } = await cli(
      'render',
      'delegates',
      '-f',
      network,
      '--hosts',
      hosts,
      '--host',
      'host2',
      '--masters',
      'eth1',
      '--ips',
      '192.168.1.4',
      '--ifname',
      'rail',
      '-o',
      'plan',
    );
    expect(status).toBe(0);
    const plan = JSON.parse(out) as { delegates: { podInterface: string; hostInterface: string }[]; routes: unknown };
    expect(plan.delegates.map((d) => `${d.hostInterface}->${d.podInterface}`)).toEqual(['eth1->rail']);
    expect(plan.routes).toBeDefined();
  });

  it.each<{ case: string; args: string[]; message: RegExp }>`
    case                              | args                                                                     | message
    ${'an address outside the block'} | ${['--host', 'host1', '--masters', 'eth1', '--ips', '192.168.1.4']}      | ${/--ips 192\.168\.1\.4 is not in host1's eth1 pod block 192\.168\.0\.0\/24/}
    ${'a NIC the host lacks'}         | ${['--host', 'host1', '--masters', 'eth9', '--ips', '192.168.0.4']}      | ${/--masters eth9: host1 has no planned pool on it \(NICs: eth1, eth2\)/}
    ${'an unknown host'}              | ${['--host', 'host7', '--masters', 'eth1', '--ips', '192.168.0.4']}      | ${/--host host7: no HostInterface for it/}
    ${'fewer ips than masters'}       | ${['--host', 'host1', '--masters', 'eth1,eth2', '--ips', '192.168.0.4']} | ${/one address per master: 2 masters, 1 addresses/}
  `('exits 2 on $case', async ({ args, message }) => {
    const { status, err } = await cli('render', 'delegates', '-f', network, '--hosts', hosts, ...args);
    expect(status).toBe(2);
    expect(err).toMatch(message);
  });
});

describe('multinic render template', () => {
  it('fills the template from the planned pool where host configs are silent', async () => {
    const { status, out, err } = await cli(
      'render',
      'template',
      '-f',
      fixture('template.yaml'),
      '--host',
      'host1',
      '--interface',
      'eth1',
      '--network',
      network,
      '--hosts',
      hosts,
    );
    expect(err).toBe('');
    expect(status).toBe(0);
    const config = JSON.parse(out) as {
      name: string;
      master: string;
      ipam: { ranges: { subnet: string; rangeStart: string; rangeEnd: string }[][] };
    };
    expect(config.name).toBe('rail-eth1');
    expect(config.master).toBe('eth1');
    const range = config.ipam.ranges[0]?.[0];
    expect(range?.subnet).toBe('192.168.0.0/18');
    expect(range?.rangeStart).toBe('192.168.0.1');
    expect(range?.rangeEnd).toBe('192.168.0.254');
  });

  it('lets the most specific host config win', async () => {
    const { status, out } = await cli(
      'render',
      'template',
      '-f',
      fixture('template.yaml'),
      '--host',
      'host2',
      '--interface',
      'eth1',
      '--network',
      network,
      '--hosts',
      hosts,
    );
    expect(status).toBe(0);
    const config = JSON.parse(out) as { ipam: { ranges: { subnet: string; rangeStart: string }[][] } };
    expect(config.ipam.ranges[0]?.[0]).toMatchObject({ subnet: '10.99.0.0/24', rangeStart: '10.99.0.10' });
  });

  it('names the value it cannot fill', async () => {
    const { status, err } = await cli(
      'render',
      'template',
      '-f',
      fixture('template.yaml'),
      '--host',
      'host1',
      '--interface',
      'eth1',
    );
    expect(status).toBe(2);
    expect(err).toMatch(/host\.interface\.subnet/);
  });
});
