// The generated CRDs on a REAL kube-apiserver (packages/testenv): they install, the examples are accepted, and the
// CEL/OpenAPI rules reject the bad manifests there too — with the same field named as `multinic validate` names.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiException, CustomObjectsApi } from '@kubernetes/client-node';
import { startTestEnv, type TestEnv } from '@multinic/testenv';
import { parseAllDocuments } from 'yaml';
import { MultiNicNetworkSchema, parseWith } from '../src/index.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const GROUP = 'multinic.dev';
const PLURALS: Record<string, string> = {
  MultiNicNetwork: 'multinicnetworks',
  HostInterface: 'hostinterfaces',
  CIDR: 'cidrs',
  IPPool: 'ippools',
  NicClass: 'nicclasses',
};

let env: TestEnv;
let api: CustomObjectsApi;

beforeAll(async () => {
  env = await startTestEnv({
    crdPaths: [path.join(repo, 'charts/multinic/crds')],
    multusCrd: false,
    controllerManager: false,
  });
  api = env.kubeConfig.makeApiClient(CustomObjectsApi);
}, 180_000);
afterAll(async () => {
  await env?.stop();
});

type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; spec: Record<string, unknown> };

async function create(body: Manifest): Promise<unknown> {
  const plural = PLURALS[body.kind];
  if (plural === undefined) throw new Error(`no plural for ${body.kind}`);
  return api.createClusterCustomObject({ group: GROUP, version: 'v1', plural, body });
}

/** The API server's rejection message, or a failure when it accepted. */
async function rejection(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ApiException) {
      const body = (typeof error.body === 'string' ? JSON.parse(error.body) : error.body) as { message?: string };
      expect(error.code).toBe(422);
      return body.message ?? '';
    }
    throw error;
  }
  throw new Error('the API server accepted a manifest it should have rejected');
}

let serial = 0;
function network(spec: Record<string, unknown>): Manifest {
  serial += 1;
  return {
    apiVersion: `${GROUP}/v1`,
    kind: 'MultiNicNetwork',
    metadata: { name: `net-${serial}` },
    spec: {
      subnet: '192.168.0.0/16',
      masterNets: ['10.0.1.0/24'],
      ipam: { type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2 },
      plugin: { cniVersion: '1.0.0', type: 'macvlan', args: { mode: 'bridge' } },
      ...spec,
    },
  };
}

describe('the generated CRDs on a real kube-apiserver', () => {
  it('accept every example manifest of our kinds', async () => {
    const files = [
      ...(await readdir(path.join(repo, 'examples')))
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => path.join(repo, 'examples', f)),
      path.join(repo, 'examples/plan/network.yaml'),
      path.join(repo, 'examples/plan/hosts.yaml'),
    ];
    let created = 0;
    for (const file of files) {
      for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
        const manifest = doc.toJS() as Manifest | null;
        if (manifest === null || PLURALS[manifest.kind] === undefined || !manifest.apiVersion.startsWith(GROUP))
          continue;
        await create(manifest);
        created += 1;
      }
    }
    expect(created).toBeGreaterThanOrEqual(6);
  });

  it.each<{ case: string; spec: Record<string, unknown>; field: string; server: RegExp }>`
    case                                | spec                                                                                          | field                           | server
    ${'a subnet with host bits'}        | ${{ subnet: '192.168.1.1/16' }}                                                               | ${'spec.subnet'}                | ${/spec\.subnet: Invalid value: .*has host bits set/}
    ${'a subnet that is no prefix'}     | ${{ subnet: '192.168.0.0' }}                                                                  | ${'spec.subnet'}                | ${/spec\.subnet: Invalid value: .*must be an IPv4 or IPv6 prefix/}
    ${'the whole IPv4 space'}           | ${{ subnet: '0.0.0.0/0', ipam: { type: 'multi-nic-ipam', hostBlock: 8, interfaceBlock: 1 } }} | ${'spec.subnet'}                | ${/spec\.subnet: Invalid value: .*overlaps 0\.0\.0\.0\/8 \("this network"/}
    ${'a link-local subnet'}            | ${{ subnet: '169.254.0.0/16' }}                                                               | ${'spec.subnet'}                | ${/spec\.subnet: Invalid value: .*overlaps 169\.254\.0\.0\/16 \(link-local\)/}
    ${'an IPv6 multicast subnet'}       | ${{ subnet: 'ff02::/16' }}                                                                    | ${'spec.subnet'}                | ${/spec\.subnet: Invalid value: .*overlaps ff00::\/8 \(multicast\)/}
    ${'a masterNet that is no prefix'}  | ${{ masterNets: ['10.0.1.300/24'] }}                                                          | ${'spec.masterNets[0]'}         | ${/spec\.masterNets\[0\]: Invalid value: .*must be an IPv4 or IPv6 prefix/}
    ${'an unknown strategy'}            | ${{ attachPolicy: { strategy: 'fastest' } }}                                                  | ${'spec.attachPolicy.strategy'} | ${/spec\.attachPolicy\.strategy: Unsupported value: "fastest"/}
    ${'costOpt without a target'}       | ${{ attachPolicy: { strategy: 'costOpt' } }}                                                  | ${'spec.attachPolicy.target'}   | ${/target is required for the costOpt and perfOpt strategies/}
    ${'selector without an expression'} | ${{ attachPolicy: { strategy: 'selector' } }}                                                 | ${'spec.attachPolicy.selector'} | ${/selector is required for the selector strategy/}
    ${'an unknown CNI version'}         | ${{ plugin: { cniVersion: '9.9.9', type: 'macvlan' } }}                                       | ${'spec.plugin.cniVersion'}     | ${/spec\.plugin\.cniVersion: Unsupported value: "9\.9\.9"/}
    ${'a plugin without a type'}        | ${{ plugin: { cniVersion: '1.0.0' } }}                                                        | ${'spec.plugin.type'}           | ${/spec\.plugin\.type: Required value/}
    ${'both subnet and subnets'}        | ${{ subnets: [{ cidr: 'fd00:10::/48', interfaceBlock: 8, hostBlock: 8 }] }}                   | ${'spec.subnets'}               | ${/spec\.subnets: Invalid value: .*set subnet or subnets, not both/}
    ${'two subnets of one family'}      | ${{ subnet: undefined, subnets: [{ cidr: '192.168.0.0/16' }, { cidr: '172.16.0.0/16' }] }}    | ${'spec.subnets[1].cidr'}       | ${/spec\.subnets: Invalid value: .*subnets takes one IPv4 and one IPv6 subnet/}
    ${'a link-local subnets entry'}     | ${{ subnet: undefined, subnets: [{ cidr: 'fe80::/10', interfaceBlock: 8, hostBlock: 8 }] }}   | ${'spec.subnets[0].cidr'}       | ${/spec\.subnets\[0\]\.cidr: Invalid value: .*overlaps fe80::\/10 \(link-local\)/}
  `('reject $case, as the zod schema does', async ({ spec, field, server }) => {
    const manifest = network(spec);
    const local = parseWith(MultiNicNetworkSchema, manifest);
    expect(local.ok).toBe(false);
    expect(local.ok ? [] : local.problems.map((p) => p.path)).toContain(field);
    expect(await rejection(create(manifest))).toMatch(server);
  });

  it('refuse to change or remove the subnet of an existing network', async () => {
    const manifest = network({});
    const created = (await create(manifest)) as Manifest & { metadata: { resourceVersion: string } };
    const name = manifest.metadata.name;
    const replace = (spec: Record<string, unknown>): Promise<unknown> =>
      api.replaceClusterCustomObject({
        group: GROUP,
        version: 'v1',
        plural: 'multinicnetworks',
        name,
        body: { ...created, spec },
      });
    expect(await rejection(replace({ ...manifest.spec, subnet: '172.16.0.0/16' }))).toMatch(
      /subnet cannot be changed once set: create a new MultiNicNetwork instead/,
    );
    const { subnet: _dropped, ...withoutSubnet } = manifest.spec;
    expect(await rejection(replace(withoutSubnet))).toMatch(/subnet cannot be removed once set/);
    // Fields that may change still can.
    await replace({ ...manifest.spec, namespaces: ['team-a'] });
  });

  it('accept a dual-stack network and refuse to change or remove its subnets', async () => {
    const manifest = network({
      subnet: undefined,
      subnets: [{ cidr: '192.168.0.0/16' }, { cidr: 'fd00:10::/48', interfaceBlock: 8, hostBlock: 8 }],
    });
    expect(parseWith(MultiNicNetworkSchema, manifest).ok).toBe(true);
    const created = (await create(manifest)) as Manifest & { metadata: { resourceVersion: string } };
    const replace = (spec: Record<string, unknown>): Promise<unknown> =>
      api.replaceClusterCustomObject({
        group: GROUP,
        version: 'v1',
        plural: 'multinicnetworks',
        name: manifest.metadata.name,
        body: { ...created, spec },
      });
    const changed = [{ cidr: '192.168.0.0/16' }, { cidr: 'fd00:11::/48', interfaceBlock: 8, hostBlock: 8 }];
    expect(await rejection(replace({ ...manifest.spec, subnets: changed }))).toMatch(
      /subnets cannot be changed once set: create a new MultiNicNetwork instead/,
    );
    const { subnets: _dropped, ...withoutSubnets } = manifest.spec;
    expect(await rejection(replace(withoutSubnets))).toMatch(/subnets cannot be removed once set/);
    await replace({ ...manifest.spec, namespaces: ['team-a'] });
  });
});
