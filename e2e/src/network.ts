// The network the demo and the tests use: examples/macvlan-bridge.yaml as a user would apply it, with masterNets
// pointed at the local topology's two NIC networks (the example names one network of a real data centre).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ROOT } from './cluster.js';

export const NETWORK = 'multinic-macvlan';
export const TOPOLOGY_NETS = ['10.10.1.0/24', '10.10.2.0/24'] as const;

export interface NetworkManifest {
  metadata: { name: string };
  spec: Record<string, unknown>;
}

export function macvlanNetwork(masterNets: readonly string[] = TOPOLOGY_NETS): NetworkManifest {
  const doc = parseYaml(readFileSync(path.join(ROOT, 'examples/macvlan-bridge.yaml'), 'utf8')) as NetworkManifest;
  return { metadata: { name: doc.metadata.name }, spec: { ...doc.spec, masterNets: [...masterNets] } };
}
