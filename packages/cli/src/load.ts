import { computeFamilyPlans, type FamilyPlansResult, type PlanResult } from '@multinic/cidr-core';
import {
  HostInterfaceSchema,
  MultiNicNetworkSchema,
  planConfigsOf,
  planHostOf,
  type HostInterface,
  type MultiNicNetwork,
} from '@multinic/crd-types';
import { InputError, loadDocuments, type CliIO } from './io.js';
import { parseDocument } from './parse-document.js';

/** Reads the one MultiNicNetwork manifest of `file`. */
export async function loadNetwork(io: CliIO, file: string): Promise<MultiNicNetwork> {
  const docs = await loadDocuments(io, file);
  const [doc, ...rest] = docs;
  if (doc === undefined) throw new InputError(`${file}: holds no document; expected one MultiNicNetwork manifest`);
  if (rest.length > 0)
    throw new InputError(`${file}: holds ${docs.length} documents; plan takes exactly one MultiNicNetwork`);
  return parseDocument(doc, { kind: 'MultiNicNetwork', schema: MultiNicNetworkSchema, total: 1 });
}

/** Reads every HostInterface manifest of a multi-document `file`. */
export async function loadHosts(io: CliIO, file: string): Promise<HostInterface[]> {
  const docs = await loadDocuments(io, file);
  if (docs.length === 0) throw new InputError(`${file}: holds no document; expected HostInterface manifests`);
  return docs.map((doc) =>
    parseDocument(doc, { kind: 'HostInterface', schema: HostInterfaceSchema, total: docs.length }),
  );
}

/** The plans the controller would compute for these hosts (no previous plan): one per pod subnet (ADR 0006). */
export function planFamiliesOf(network: MultiNicNetwork, hosts: readonly HostInterface[]): FamilyPlansResult {
  return computeFamilyPlans({
    networkName: network.metadata.name,
    configs: planConfigsOf(network),
    hosts: hosts.map(planHostOf),
  });
}

/** The plan of the network's first pod subnet, with the problems of every family. */
export function planOf(network: MultiNicNetwork, hosts: readonly HostInterface[]): PlanResult {
  const { results, problems } = planFamiliesOf(network, hosts);
  return { ...(results[0] as PlanResult), problems };
}
