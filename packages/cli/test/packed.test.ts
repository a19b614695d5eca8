// Installable on their own, as users will: the CLI and the pure libraries it stands on are packed, installed
// with plain npm into an empty project, imported from ESM and run through `npx multinic`.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MAX_TARBALL_BYTES,
  packAndInstall,
  publintTarball,
  tarballBytes,
  tarballFiles,
  unexpectedFiles,
} from '../../../test-support/packed.js';
import type { PackedProject } from '../../../test-support/packed.js';

const packages = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const examples = path.resolve(packages, '../examples');
const NAMES = ['cidr-core', 'crd-types', 'policy', 'netconf', 'cli'] as const;

let project: PackedProject | undefined;
const installed = (): PackedProject => {
  if (project === undefined) throw new Error('the packed project was not installed (see beforeAll)');
  return project;
};

beforeAll(() => {
  project = packAndInstall({ packageDirs: NAMES.map((name) => path.join(packages, name)) });
}, 240_000);
afterAll(() => project?.cleanup());

describe('the packed @multinic/cli', () => {
  it('plans the bundled example through npx multinic', () => {
    const out = execFileSync(
      'npx',
      [
        '--no-install',
        'multinic',
        'plan',
        '-f',
        path.join(examples, 'plan/network.yaml'),
        '--hosts',
        path.join(examples, 'plan/hosts.yaml'),
        '-o',
        'json',
      ],
      {
        cwd: installed().dir,
        encoding: 'utf8',
      },
    );
    const report = JSON.parse(out) as { cidr: { cidr: { vlanCIDR: string }[] }; problems: unknown[] };
    expect(report.cidr.cidr.map((e) => e.vlanCIDR)).toEqual(['192.168.0.0/18', '192.168.64.0/18']);
    expect(report.problems).toEqual([]);
  });
});

describe('the packed @multinic/crd-types, @multinic/policy and @multinic/netconf', () => {
  it('validate, select NICs and build a NAD from an ES module', () => {
    const output = installed().runModule(`
      import { MultiNicNetworkSchema, parseWith, parseNetworksAnnotation } from '@multinic/crd-types';
      import { selectNics } from '@multinic/policy';
      import { buildNetworkAttachmentDefinition } from '@multinic/netconf';
      const network = parseWith(MultiNicNetworkSchema, {
        apiVersion: 'multinic.dev/v1', kind: 'MultiNicNetwork', metadata: { name: 'rails' },
        spec: { subnet: '192.168.0.0/16', masterNets: ['10.0.1.0/24', '10.0.2.0/24'],
          ipam: { type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2 },
          plugin: { cniVersion: '1.0.0', type: 'macvlan', args: { mode: 'bridge' } } },
      });
      const bad = parseWith(MultiNicNetworkSchema, { apiVersion: 'multinic.dev/v1', kind: 'MultiNicNetwork', metadata: { name: 'x' }, spec: {} });
      const nad = buildNetworkAttachmentDefinition(network.value, 'team-a');
      const nics = [
        { interfaceName: 'eth2', netAddress: '10.0.2.0/24', hostIP: '10.0.2.1', speedMbps: 100000 },
        { interfaceName: 'eth1', netAddress: '10.0.1.0/24', hostIP: '10.0.1.1', speedMbps: 200000 },
      ];
      const selected = selectNics({ hostNics: nics, network: network.value.spec, request: { nics: 1 } });
      console.log(JSON.stringify({
        ok: network.ok,
        badFields: bad.ok ? [] : bad.problems.map((p) => p.path),
        annotation: parseNetworksAnnotation('rails@net1', 'team-a'),
        nadType: nad.ok ? JSON.parse(nad.value.spec.config).type : nad.error,
        selected: selected.ok ? selected.value.chosen.map((n) => n.interfaceName) : selected.error,
      }));
    `);
    const result = JSON.parse(output) as Record<string, unknown>;
    expect(result['ok']).toBe(true);
    expect(result['badFields']).toEqual(expect.arrayContaining(['spec.ipam', 'spec.plugin']));
    expect(result['annotation']).toMatchObject({
      ok: true,
      value: [{ name: 'rails', namespace: 'team-a', interface: 'net1' }],
    });
    expect(result['nadType']).toBe('multi-nic');
    expect(result['selected']).toEqual(['eth1']);
  });

  it.each(NAMES.map((name) => ({ name })))(
    '$name ships only dist/**, README.md, LICENSE and package.json, in under 1 MiB',
    ({ name }) => {
      const tarball = installed().tarballs[NAMES.indexOf(name)] as string;
      expect(unexpectedFiles(tarballFiles(tarball))).toEqual([]);
      expect(tarballFiles(tarball)).toEqual(
        expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts']),
      );
      expect(tarballBytes(tarball)).toBeLessThan(MAX_TARBALL_BYTES);
    },
  );

  it.each(NAMES.map((name) => ({ name })))('$name passes publint with no errors or warnings', async ({ name }) => {
    const tarball = installed().tarballs[NAMES.indexOf(name)] as string;
    const messages = await publintTarball(tarball);
    expect({ error: messages.error, warning: messages.warning }).toEqual({ error: [], warning: [] });
  });
});
