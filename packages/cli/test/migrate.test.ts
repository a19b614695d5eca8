// `multinic migrate` on a multi-nic-cni cluster dump (kind: List) and the pods (multi-document YAML): what comes out,
// what it says on stderr, and that `validate` and `plan` accept the result.
import { describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { cli, fixture } from './helpers.js';

interface Migrated {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
  status?: { allocations?: { address: string; podUID: string; interface: string }[] };
}

describe('multinic migrate: a multi-nic-cni cluster', () => {
  it('converts the network, CIDR, IPPools with their allocations, HostInterface and DeviceClass, and says what it dropped', async () => {
    const { status, out, err } = await cli(
      'migrate',
      '-f',
      fixture('legacy-cluster.yaml'),
      '-f',
      fixture('legacy-pods.yaml'),
    );
    expect(status).toBe(0);
    const docs = parseAllDocuments(out).map((d) => d.toJS() as Migrated);
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([
      'MultiNicNetwork/multi-nic-sample',
      'NicClass/mellanox',
      'HostInterface/worker-1',
      'CIDR/multi-nic-sample',
      'IPPool/multi-nic-sample-192.168.0.0-24',
      'IPPool/multi-nic-sample-192.168.64.0-24',
    ]);
    expect(docs[0]?.spec).toMatchObject({
      multiNICIPAM: true,
      ipam: { type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2, vlanMode: 'l3' },
    });
    expect(docs[1]?.spec).toEqual({ vendor: '15b3', products: ['101d', '1017'] });
    const held = docs
      .filter((d) => d.kind === 'IPPool')
      .flatMap((d) =>
        (d.status?.allocations ?? []).map((a) => `${d.metadata.name} ${a.address} ${a.podUID} ${a.interface}`),
      );
    expect(held).toEqual([
      'multi-nic-sample-192.168.0.0-24 192.168.0.1 0b1c2d3e-0000-4000-8000-000000000001 net1',
      'multi-nic-sample-192.168.64.0-24 192.168.64.1 0b1c2d3e-0000-4000-8000-000000000001 net1',
    ]);
    expect(docs[4]?.metadata.labels).toMatchObject({
      'multinic.dev/network': 'multi-nic-sample',
      'multinic.dev/host': 'worker-1',
      'multinic.dev/interface': 'eth1',
    });
    expect(err).toMatch(/items\[0\]: MultiNicNetwork multi-nic-sample: spec\.multiNicIPAM read as spec\.multiNICIPAM/);
    expect(err).toMatch(/items\[0\]: MultiNicNetwork multi-nic-sample: metadata\.finalizers not carried over/);
    expect(err).toMatch(
      /items\[2\]: IPPool multi-nic-sample-192\.168\.0\.0-24: spec\.allocations\[1\] not carried over: pod default\/finished-job has ended \(Succeeded\)/,
    );
    expect(err).toMatch(/items\[6\]: Config multi-nic-cni-operator: not carried over/);
    expect(err).toMatch(/migrated 1 MultiNicNetwork, 1 NicClass, 1 HostInterface, 1 CIDR, 2 IPPool\n/);
    expect(err).toMatch(
      /2 allocations are in the IPPools' status; before the multinic agents start.*--subresource=status -l multinic\.dev\/host -f FILE/,
    );
  });

  it('writes what validate accepts and what plan plans to the same blocks', async () => {
    const migrated = await cli('migrate', '-f', fixture('legacy-cluster.yaml'), '-f', fixture('legacy-pods.yaml'));
    const dir = await mkdtemp(path.join(tmpdir(), 'multinic-migrate-'));
    try {
      const file = path.join(dir, 'v1.yaml');
      await writeFile(file, migrated.out);
      const validated = await cli('validate', '-f', file);
      expect(validated.out).not.toMatch(/invalid/);
      expect(validated.status).toBe(0);
      const docs = parseAllDocuments(migrated.out).map((d) => d.toJS() as Migrated);
      const only = async (kind: string): Promise<string> => {
        const name = path.join(dir, `${kind}.json`);
        await writeFile(name, JSON.stringify(docs.find((d) => d.kind === kind)));
        return name;
      };
      const planned = await cli(
        'plan',
        '-f',
        await only('MultiNicNetwork'),
        '--hosts',
        await only('HostInterface'),
        '-o',
        'json',
      );
      expect(planned.status).toBe(0);
      const plan = JSON.parse(planned.out) as { ippools: { name: string; podCIDR: string }[] };
      const pools = docs
        .filter((d) => d.kind === 'IPPool')
        .map((d) => `${d.metadata.name} ${String(d.spec['podCIDR'])}`);
      expect(plan.ippools.map((p) => `${p.name} ${p.podCIDR}`).sort()).toEqual(pools.sort());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses IPPools with allocations without the pods (exit 2), naming the command that lists them', async () => {
    const { status, err, out } = await cli('migrate', '-f', fixture('legacy-cluster.yaml'));
    expect(status).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(
      /holds 2 allocations, and no pods were given to carry them over: add the pods as another -f \(kubectl get pods -A -o yaml > pods\.yaml\)/,
    );
  });
});
