// Installable on its own, as users will: pack, npm install into an empty project, import from ESM.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
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

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const workedExample = `
import { computePlan, RangeAllocator, formatAddress } from '@multinic/cidr-core';
const nic = (interfaceName, netAddress, hostIP) => ({ interfaceName, netAddress, hostIP });
const result = computePlan({
  networkName: 'multi-nic-sample',
  config: { subnet: '192.168.0.0/16', interfaceBlock: 2, hostBlock: 6, masterNets: ['10.0.1.0/24', '10.0.2.0/24'], excludeCIDRs: [] },
  hosts: [
    { hostName: 'Host1', interfaces: [nic('eth1', '10.0.1.0/24', '10.0.1.1'), nic('eth2', '10.0.2.0/24', '10.0.2.1')] },
    { hostName: 'Host2', interfaces: [nic('eth1', '10.0.1.0/24', '10.0.1.2'), nic('eth2', '10.0.2.0/24', '10.0.2.2')] },
  ],
});
const pool = RangeAllocator.fromPool(result.ippools[0]);
console.log(JSON.stringify({
  vlans: result.plan.cidr.map((e) => e.vlanCIDR),
  pods: result.plan.cidr.flatMap((e) => e.hosts.map((h) => h.hostName + ' ' + h.podCIDR)),
  routes: result.routes,
  problems: result.problems,
  firstAddress: pool.ok ? formatAddress(pool.value.allocate().value) : pool.error,
}));
`;

describe('the packed @multinic/cidr-core', () => {
  let project: PackedProject | undefined;

  beforeAll(() => {
    project = packAndInstall({ packageDirs: [packageDir] });
  }, 180_000);

  afterAll(() => project?.cleanup());

  it('installs with npm and computes the worked example from an ES module', () => {
    const output = JSON.parse((project as PackedProject).runModule(workedExample)) as unknown;
    expect(output).toEqual({
      vlans: ['192.168.0.0/18', '192.168.64.0/18'],
      pods: ['Host1 192.168.0.0/24', 'Host2 192.168.1.0/24', 'Host1 192.168.64.0/24', 'Host2 192.168.65.0/24'],
      routes: {
        Host1: [
          { dst: '192.168.1.0/24', via: '10.0.1.2', dev: 'eth1', table: 1000 },
          { dst: '192.168.65.0/24', via: '10.0.2.2', dev: 'eth2', table: 1000 },
        ],
        Host2: [
          { dst: '192.168.0.0/24', via: '10.0.1.1', dev: 'eth1', table: 1000 },
          { dst: '192.168.64.0/24', via: '10.0.2.1', dev: 'eth2', table: 1000 },
        ],
      },
      problems: [],
      firstAddress: '192.168.0.1',
    });
  });

  it('ships only dist/**, README.md, LICENSE and package.json, in under 1 MiB', () => {
    const tarball = (project as PackedProject).tarballs[0] as string;
    expect(unexpectedFiles(tarballFiles(tarball))).toEqual([]);
    expect(tarballFiles(tarball)).toEqual(
      expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts']),
    );
    expect(tarballBytes(tarball)).toBeLessThan(MAX_TARBALL_BYTES);
  });

  it('passes publint with no errors or warnings', async () => {
    const messages = await publintTarball((project as PackedProject).tarballs[0] as string);
    expect({ error: messages.error, warning: messages.warning }).toEqual({ error: [], warning: [] });
  });
});
