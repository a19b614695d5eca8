// Every manifest under examples/ is valid, and examples/plan is multi-nic-cni's worked example.
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { computePlan } from '@multinic/cidr-core';
import {
  formatProblem,
  HostInterfaceSchema,
  MultiNicNetworkSchema,
  NETWORKS_ANNOTATION,
  parseManifest,
  parseNetworksAnnotation,
  parseWith,
  planConfigOf,
} from '@multinic/crd-types';

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return yamlFiles(full);
    return name.endsWith('.yaml') ? [full] : [];
  });
}

function documents(file: string): unknown[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as unknown);
}

function problemsOf(doc: unknown): string[] {
  const d = doc as { kind?: string; metadata?: { namespace?: string; annotations?: Record<string, string> } };
  if (d.kind === 'Pod') {
    const r = parseNetworksAnnotation(
      d.metadata?.annotations?.[NETWORKS_ANNOTATION] ?? '',
      d.metadata?.namespace ?? 'default',
    );
    return r.ok ? [] : r.problems.map(formatProblem);
  }
  const r = parseManifest(doc);
  return r.ok ? [] : r.problems.map(formatProblem);
}

describe('examples', () => {
  const files = yamlFiles(examples).map((f) => path.relative(examples, f));

  it('has the four plugin examples and the plan input', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'ipvlan-l3.yaml',
        'macvlan-bridge.yaml',
        'host-device.yaml',
        'sriov.yaml',
        'plan/network.yaml',
        'plan/hosts.yaml',
      ]),
    );
  });

  it.each(files)('%s is valid', (file) => {
    const docs = documents(path.join(examples, file));
    expect(docs.length).toBeGreaterThan(0);
    expect(docs.map(problemsOf)).toEqual(docs.map(() => []));
  });

  it.each(files)('%s has a line in examples/README.md', (file) => {
    expect(readFileSync(path.join(examples, 'README.md'), 'utf8')).toContain(`(${file})`);
  });

  it('plan/ is the worked example: vlan blocks /18, Host1 and Host2 pod blocks /24', () => {
    const net = parseWith(MultiNicNetworkSchema, documents(path.join(examples, 'plan/network.yaml'))[0]);
    const hosts = documents(path.join(examples, 'plan/hosts.yaml')).map((d) => parseWith(HostInterfaceSchema, d));
    if (!net.ok || hosts.some((h) => !h.ok)) throw new Error('examples/plan does not parse');
    const config = planConfigOf(net.value);
    expect(config).toEqual({
      subnet: '192.168.0.0/16',
      interfaceBlock: 2,
      hostBlock: 6,
      masterNets: ['10.0.1.0/24', '10.0.2.0/24'],
      excludeCIDRs: [],
    });
    const { plan, problems } = computePlan({
      networkName: net.value.metadata.name,
      config,
      hosts: hosts.flatMap((h) =>
        h.ok ? [{ hostName: h.value.spec.hostName, interfaces: h.value.spec.interfaces }] : [],
      ),
    });
    expect(problems).toEqual([]);
    expect(plan.cidr.map((e) => [e.vlanCIDR, e.hosts.map((h) => `${h.hostName}=${h.podCIDR}`)])).toEqual([
      ['192.168.0.0/18', ['host1=192.168.0.0/24', 'host2=192.168.1.0/24']],
      ['192.168.64.0/18', ['host1=192.168.64.0/24', 'host2=192.168.65.0/24']],
    ]);
  });
});
