import { describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { cli, example, fixture } from './helpers.js';

describe('multinic plan', () => {
  it('plans the bundled worked example exactly as multi-nic-cni documents it', async () => {
    const { status, out, err } = await cli(
      'plan',
      '-f',
      example('plan/network.yaml'),
      '--hosts',
      example('plan/hosts.yaml'),
      '-o',
      'json',
    );
    expect(err).toBe('');
    expect(status).toBe(0);
    const report = JSON.parse(out) as {
      cidr: { cidr: { netAddress: string; vlanCIDR: string; hosts: { hostName: string; podCIDR: string }[] }[] };
      ippools: { hostName: string; interfaceName: string; podCIDR: string }[];
      routes: Record<string, { dst: string; via: string; dev: string }[]>;
      problems: unknown[];
    };
    const blocks = Object.fromEntries(report.cidr.cidr.map((e) => [e.netAddress, e.vlanCIDR]));
    expect(blocks).toEqual({ '10.0.1.0/24': '192.168.0.0/18', '10.0.2.0/24': '192.168.64.0/18' });
    const pods = report.cidr.cidr
      .flatMap((e) => e.hosts.map((h) => `${h.hostName}:${e.netAddress}=${h.podCIDR}`))
      .sort();
    expect(pods).toEqual([
      'host1:10.0.1.0/24=192.168.0.0/24',
      'host1:10.0.2.0/24=192.168.64.0/24',
      'host2:10.0.1.0/24=192.168.1.0/24',
      'host2:10.0.2.0/24=192.168.65.0/24',
    ]);
    expect(report.ippools).toHaveLength(4);
    const host1 = (report.routes['host1'] ?? []).map((r) => `${r.dst} via ${r.via} dev ${r.dev}`).sort();
    expect(host1).toEqual(['192.168.1.0/24 via 10.0.1.2 dev eth1', '192.168.65.0/24 via 10.0.2.2 dev eth2']);
    expect(report.problems).toEqual([]);
  });

  it('prints one table row per host and interface for people', async () => {
    const { status, out } = await cli(
      'plan',
      '-f',
      example('plan/network.yaml'),
      '--hosts',
      example('plan/hosts.yaml'),
    );
    expect(status).toBe(0);
    const [blocks = '', routes = ''] = out.trim().split('\n\n');
    const lines = blocks.split('\n');
    expect(lines[0]).toMatch(/^HOST\s+INTERFACE\s+HOST IP\s+NETWORK/);
    expect(lines.slice(1)).toHaveLength(4);
    expect(routes.split('\n')).toContain(
      'host1  ip route add 192.168.1.0/24 via 10.0.1.2 dev eth1 table mn-multinic-sample',
    );
    expect(routes.split('\n')).toContain(
      'host1  ip route add 192.168.65.0/24 via 10.0.2.2 dev eth2 table mn-multinic-sample',
    );
    expect(routes).toContain('one routing table per network');
    expect(routes).toContain('lowest id >= 1000 (routes.tableBase) free on that node');
    expect(lines[1]).toMatch(
      /^host1\s+eth1\s+10\.0\.1\.1\s+10\.0\.1\.0\/24\s+0\s+192\.168\.0\.0\/18\s+0\s+192\.168\.0\.0\/24\s+1$/,
    );
  });

  it('exits 3 and names the host when the plan has no room for it', async () => {
    const { status, out, err } = await cli(
      'plan',
      '-f',
      fixture('tiny-hostblock.yaml'),
      '--hosts',
      fixture('three-hosts.yaml'),
      '-o',
      'json',
    );
    expect(status).toBe(3);
    const report = JSON.parse(out) as { problems: { host?: string; reason: string }[] };
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]?.host).toBe('node-c');
    expect(report.problems[0]?.reason).toMatch(/hostBlock 1 allows 2 hosts/);
    expect(err).toMatch(/node-c/);
  });

  it('plans a dual-stack network: both families per NIC, the IPv6 plan as otherFamily, a NIC without IPv6 named', async () => {
    const args = ['plan', '-f', fixture('dual-stack.yaml'), '--hosts', fixture('dual-stack-hosts.yaml')];
    const json = await cli(...args, '-o', 'json');
    expect(json.status).toBe(3);
    const report = JSON.parse(json.out) as {
      cidr: {
        cidr: { netAddress: string; interfaceIndex: number }[];
        otherFamily: { cidr: { netAddress: string; interfaceIndex: number }[] };
      };
      ippools: { hostName: string; interfaceName: string; podCIDR: string }[];
      routes: Record<string, { dst: string; via: string }[]>;
      problems: { code: string; host?: string; reason: string }[];
    };
    expect(report.cidr.otherFamily.cidr.map((e) => [e.netAddress, e.interfaceIndex])).toEqual([
      ['fd00:1::/64', 0],
      ['fd00:2::/64', 1],
    ]);
    expect(report.ippools.map((p) => `${p.hostName}/${p.interfaceName} ${p.podCIDR}`)).toEqual([
      'host1/eth1 192.168.0.0/24',
      'host2/eth1 192.168.1.0/24',
      'host1/eth2 192.168.64.0/24',
      'host2/eth2 192.168.65.0/24',
      'host1/eth1 fd00:10::/64',
      'host2/eth1 fd00:10:0:1::/64',
      'host1/eth2 fd00:10:0:100::/64',
    ]);
    // L3 routes of both families: host1 reaches host2's IPv6 block on eth1 via host2's IPv6 address.
    expect(report.routes['host1']).toContainEqual(
      expect.objectContaining({ dst: 'fd00:10:0:1::/64', via: 'fd00:1::2' }),
    );
    expect(report.routes['host1']).toContainEqual(expect.objectContaining({ dst: '192.168.1.0/24', via: '10.0.1.2' }));
    expect(report.problems.map((p) => [p.code, p.host])).toEqual([['NO_FAMILY_ADDRESS', 'host2']]);
    expect(json.err).toMatch(/host host2 interface eth2 on 10\.0\.2\.0\/24 has no IPv6 address/);

    const table = await cli(...args);
    expect(table.out).toMatch(/host1\s+eth1\s+fd00:1::1\s+fd00:1::\/64\s+0\s+fd00:10::\/56\s+0\s+fd00:10::\/64\s+1/);
    expect(table.out).toMatch(
      /host1\s+eth1\s+10\.0\.1\.1\s+10\.0\.1\.0\/24\s+0\s+192\.168\.0\.0\/18\s+0\s+192\.168\.0\.0\/24\s+1/,
    );
  });

  it.each<{ case: string; args: string[]; message: RegExp }>`
    case                           | args                                                                                        | message
    ${'a field of the wrong type'} | ${['-f', fixture('bad-network.yaml'), '--hosts', fixture('three-hosts.yaml')]}              | ${/bad-network\.yaml: invalid MultiNicNetwork .*\n\s+spec\.ipam\.hostBlock: must be an integer/}
    ${'a multi-nic-cni manifest'}  | ${['-f', fixture('legacy-network.yaml'), '--hosts', fixture('three-hosts.yaml')]}           | ${/multi-nic-cni's; convert it with `multinic migrate -f .*legacy-network\.yaml`/}
    ${'hosts that are networks'}   | ${['-f', example('plan/network.yaml'), '--hosts', example('plan/network.yaml')]}            | ${/network\.yaml: kind is "MultiNicNetwork", expected HostInterface/}
    ${'a missing file'}            | ${['-f', fixture('nope.yaml'), '--hosts', fixture('three-hosts.yaml')]}                     | ${/nope\.yaml: cannot read the file/}
    ${'a missing --hosts'}         | ${['-f', example('plan/network.yaml')]}                                                     | ${/--hosts FILE is required/}
    ${'an unknown flag'}           | ${['-f', example('plan/network.yaml'), '--hots', 'x']}                                      | ${/Unknown option '--hots'/}
    ${'an unknown output'}         | ${['-f', example('plan/network.yaml'), '--hosts', example('plan/hosts.yaml'), '-o', 'xml']} | ${/-o must be one of table, json, yaml/}
  `('exits 2 on $case with a message naming it', async ({ args, message }) => {
    const { status, err } = await cli('plan', ...args);
    expect(status).toBe(2);
    expect(err).toMatch(message);
  });
});

describe('multinic migrate', () => {
  it('turns a multi-nic-cni network into multinic.dev/v1 and reports what it did not carry over', async () => {
    const { status, out, err } = await cli('migrate', '-f', fixture('legacy-network.yaml'));
    expect(status).toBe(0);
    const migrated = parse(out) as {
      apiVersion: string;
      metadata: Record<string, unknown>;
      spec: { ipam: unknown; plugin: unknown; masterNets: string[] };
      status?: unknown;
    };
    expect(migrated.apiVersion).toBe('multinic.dev/v1');
    expect(migrated.metadata).toEqual({ name: 'multi-nic-sample' });
    expect(migrated.spec.ipam).toEqual({ type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2, vlanMode: 'l3' });
    expect(migrated.spec.plugin).toEqual({ cniVersion: '0.3.0', type: 'ipvlan', args: { mode: 'l3' } });
    expect(migrated.spec.masterNets).toEqual(['10.0.1.0/24', '10.0.2.0/24']);
    expect(migrated.status).toBeUndefined();
    expect(err).toMatch(/spec\.legacyOnlyField not carried over: multinic\.dev\/v1 has no such field/);
    expect(err).toMatch(/metadata\.resourceVersion not carried over/);
    expect(err).toMatch(/status not carried over/);
  });

  it('produces a manifest that plan accepts', async () => {
    const migrated = await cli('migrate', '-f', fixture('legacy-network.yaml'), '-o', 'json');
    const dir = await mkdtemp(path.join(tmpdir(), 'multinic-cli-'));
    try {
      await writeFile(path.join(dir, 'network.json'), migrated.out);
      const planned = await cli(
        'plan',
        '-f',
        path.join(dir, 'network.json'),
        '--hosts',
        example('plan/hosts.yaml'),
        '-o',
        'json',
      );
      expect(planned.err).toBe('');
      expect(planned.status).toBe(0);
      const report = JSON.parse(planned.out) as { cidr: { cidr: { vlanCIDR: string }[] } };
      expect(report.cidr.cidr.map((e) => e.vlanCIDR).sort()).toEqual(['192.168.0.0/18', '192.168.64.0/18']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('multinic validate', () => {
  it('accepts the bundled examples', async () => {
    const { status, out } = await cli('validate', '-f', example('plan/network.yaml'), '-f', example('plan/hosts.yaml'));
    expect(out).not.toMatch(/invalid/);
    expect(status).toBe(0);
    expect(out.trim().split('\n')).toHaveLength(3);
  });

  it('checks Multus networks annotations and names the bad one', async () => {
    const { status, out } = await cli('validate', '-f', fixture('pod-annotations.yaml'));
    expect(status).toBe(2);
    expect(out).toMatch(/document 1\): Pod good: valid/);
    expect(out).toMatch(
      /document 2\): Pod bad: invalid\n\s+metadata\.annotations\["k8s\.v1\.cni\.cncf\.io\/networks"\].*name/,
    );
  });

  it('runs the controller’s checks, not only the schema: sriov without plugin.args.resourceName is invalid', async () => {
    const { status, out } = await cli('validate', '-f', fixture('sriov-no-resource.yaml'));
    expect(status).toBe(2);
    expect(out).toMatch(
      /MultiNicNetwork sriov-no-resource: invalid\n\s+spec\.plugin\.args\.resourceName is required for sriov/,
    );
  });

  it('finds a plan configuration the controller refuses (blocks that do not fit the subnet)', async () => {
    const { status, out } = await cli('validate', '-f', fixture('overfull-blocks.yaml'));
    expect(status).toBe(2);
    expect(out).toMatch(
      /MultiNicNetwork overfull: invalid\n\s+.*interfaceBlock 8 \+ hostBlock 10 do not fit subnet 172\.17\.0\.0\/16/,
    );
  });

  it('checks both families of a dual-stack network: two subnets of one family, a host block that does not fit', async () => {
    expect((await cli('validate', '-f', fixture('dual-stack.yaml'))).status).toBe(0);
    const { status, out } = await cli('validate', '-f', fixture('dual-stack-bad.yaml'));
    expect(status).toBe(2);
    expect(out).toMatch(/MultiNicNetwork dual-bad: invalid\n\s+spec\.subnets\[1\]\.cidr: is a second IPv4 subnet/);
    expect(out).toMatch(
      /MultiNicNetwork dual-overfull: invalid\n\s+spec\.subnets\[1\]: interfaceBlock 2 \+ hostBlock 6 do not fit subnets\[1\] fd00:10::\/120/,
    );
  });

  it('accepts a network whose delegates run their own IPAM (multiNICIPAM: false with host-local)', async () => {
    const { status, out } = await cli('validate', '-f', fixture('own-ipam.yaml'));
    expect(out).toMatch(/MultiNicNetwork own-ipam: valid/);
    expect(status).toBe(0);
  });

  it('names every bad field of a bad manifest', async () => {
    const { status, out } = await cli('validate', '-f', fixture('bad-network.yaml'));
    expect(status).toBe(2);
    expect(out).toMatch(/MultiNicNetwork bad: invalid\n\s+spec\.ipam\.hostBlock: /);
  });
});

describe('multinic (no command)', () => {
  it('prints usage and exits 2', async () => {
    const { status, out } = await cli();
    expect(status).toBe(2);
    expect(out).toMatch(/multinic plan -f network\.yaml --hosts hosts\.yaml/);
  });
});
