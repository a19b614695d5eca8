import { describe, expect, it } from '@jest/globals';
import { formatPath, formatProblem } from './problems.js';
import { parseManifest } from './manifest.js';

describe('formatPath', () => {
  it.each([
    { path: ['spec', 'ipam', 'hostBlock'], text: 'spec.ipam.hostBlock' },
    { path: ['spec', 'interfaces', 0, 'hostIP'], text: 'spec.interfaces[0].hostIP' },
    { path: [0, 'ips', 1], text: '[0].ips[1]' },
    {
      path: ['metadata', 'annotations', 'k8s.v1.cni.cncf.io/networks'],
      text: 'metadata.annotations["k8s.v1.cni.cncf.io/networks"]',
    },
    { path: [], text: '' },
  ])('$text', ({ path, text }) => {
    expect(formatPath(path)).toBe(text);
  });

  it('formatProblem prefixes the path', () => {
    expect(formatProblem({ path: 'spec.subnet', message: 'is required' })).toBe('spec.subnet: is required');
    expect(formatProblem({ path: '', message: 'must be a list' })).toBe('must be a list');
  });
});

describe('parseManifest dispatches on apiVersion and kind', () => {
  it.each([
    {
      doc: {
        apiVersion: 'multinic.dev/v1',
        kind: 'NicClass',
        metadata: { name: 'highspeed' },
        spec: { vendor: '15b3', products: [] },
      },
      expected: [],
    },
    {
      doc: {
        apiVersion: 'k8s.cni.cncf.io/v1',
        kind: 'NetworkAttachmentDefinition',
        metadata: { name: 'n', namespace: 'default' },
        spec: { config: '{"cniVersion":"1.0.0","type":"ipvlan"}' },
      },
      expected: [],
    },
    {
      doc: { apiVersion: 'multinic.fms.io/v1', kind: 'MultiNicNetwork' },
      expected: [
        "apiVersion: multinic.fms.io/v1 is multi-nic-cni's API: change it to multinic.dev/v1 (or run `multinic migrate`)",
      ],
    },
    {
      doc: { apiVersion: 'v1', kind: 'Pod' },
      expected: [
        'kind: v1 Pod is not a multinic manifest (known kinds: MultiNicNetwork, HostInterface, CIDR, IPPool, NicClass, NetworkAttachmentDefinition)',
      ],
    },
    { doc: { kind: 'IPPool' }, expected: ['apiVersion: is required'] },
    { doc: [1], expected: ['must be a Kubernetes object with apiVersion, kind, metadata and spec'] },
    {
      doc: { apiVersion: 'multinic.dev/v1', kind: 'IPPool', metadata: { name: 'p' } },
      expected: ['spec: is required'],
    },
  ])('$doc.apiVersion $doc.kind', ({ doc, expected }) => {
    const r = parseManifest(doc);
    expect(r.ok ? [] : r.problems.map(formatProblem)).toEqual(expected);
  });
});
