// `multinic plan` on examples/host-device.yaml (host-subnet mode, `subnet: ""`, no hostBlock) with hosts whose NICs
// are on its master network, as their node agents report them (one with a discovered gateway).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { cli, example as exampleFile } from './helpers.js';

const example = exampleFile('host-device.yaml');
let dir: string;
let lan: string;
/** The n-th address of the example's master network (a /24), e.g. 10.0.3.7. */
let at: (n: number) => string;

function hostInterface(name: string, hostIP: string, gateway?: string): string {
  const nic = `{ interfaceName: eth3, netAddress: ${lan}, hostIP: ${hostIP}${gateway ? `, gateway: ${gateway}` : ''} }`;
  return `apiVersion: multinic.dev/v1\nkind: HostInterface\nmetadata: { name: ${name} }\nspec:\n  hostName: ${name}\n  interfaces:\n    - ${nic}\n`;
}

beforeAll(async () => {
  const network = parse(await readFile(example, 'utf8')) as { spec: { subnet: string; masterNets: string[] } };
  expect(network.spec.subnet).toBe('');
  lan = network.spec.masterNets[0] ?? '';
  expect(lan).toMatch(/^\d+\.\d+\.\d+\.0\/24$/);
  at = (n) => lan.replace(/0\/24$/, String(n));
  dir = await mkdtemp(path.join(tmpdir(), 'mn-cli-hostsubnet-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Report {
  cidr: {
    config: Record<string, unknown>;
    cidr: { netAddress: string; hosts: { hostName: string; podCIDR: string }[] }[];
  };
  ippools: { hostName: string; podCIDR: string; excludes: string[]; gateway?: string }[];
  problems: { reason: string }[];
}

describe('multinic plan: host-subnet mode', () => {
  it('plans examples/host-device.yaml: each host a /28 of the NIC subnet away from host addresses, the network address and the gateway', async () => {
    const hosts = path.join(dir, 'hosts.yaml');
    await writeFile(
      hosts,
      [hostInterface('node-a', at(1), at(254)), hostInterface('node-b', at(2)), hostInterface('node-c', at(18))].join(
        '---\n',
      ),
    );
    const { status, out, err } = await cli('plan', '-f', example, '--hosts', hosts, '-o', 'json');
    expect(err).toBe('');
    expect(status).toBe(0);
    const report = JSON.parse(out) as Report;
    expect(report.problems).toEqual([]);
    expect(report.cidr.config).not.toHaveProperty('hostBlock');
    // Slot 0 holds the network address (and hosts a, b), slot 1 host c's address, slot 15 the gateway.
    expect(report.ippools.map((p) => [p.hostName, p.podCIDR, p.gateway])).toEqual([
      ['node-a', `${at(32)}/28`, at(254)],
      ['node-b', `${at(48)}/28`, undefined],
      ['node-c', `${at(64)}/28`, undefined],
    ]);
  });

  it('prints the table for people, exit 0', async () => {
    const hosts = path.join(dir, 'one.yaml');
    await writeFile(hosts, hostInterface('node-a', at(1), at(254)));
    const { status, out } = await cli('plan', '-f', example, '--hosts', hosts);
    expect(status).toBe(0);
    expect(out).toMatch(
      new RegExp(`node-a\\s+eth3\\s+${at(1).replaceAll('.', '\\.')}\\s+${lan.replace(/\./g, '\\.')}`),
    );
    expect(out).toContain(`${at(16)}/28`);
  });

  it('exits 3 naming the fix when the network has no free slice left', async () => {
    const hosts = path.join(dir, 'many.yaml');
    const docs = Array.from({ length: 16 }, (_, i) => hostInterface(`node-${i}`, at(i + 1)));
    await writeFile(hosts, docs.join('---\n'));
    const { status, err } = await cli('plan', '-f', example, '--hosts', hosts, '-o', 'json');
    expect(status).toBe(3);
    // 14 usable /28 slices: slot 0 holds the network address, slot 1 node-15's address (16). The last two by name wait.
    const lines = err.trim().split('\n');
    expect(lines.map((l) => /host (node-\d+) \(eth3\)/.exec(l)?.[1])).toEqual(['node-8', 'node-9']);
    expect(lines[0]).toMatch(
      /has no free host index on .*: hostBlock 4 allows 16 hosts, 2 of them unusable .*raise hostBlock \(at most 6 on this network, the default is 4\)/,
    );
  });
});
