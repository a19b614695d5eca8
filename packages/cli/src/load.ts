import { computePlan, type PlanResult } from '@multinic/cidr-core';
import {
  HostInterfaceSchema,
  MultiNicNetworkSchema,
  planConfigOf,
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

/** The plan the controller would compute for these hosts (no previous plan). */
export function planOf(network: MultiNicNetwork, hosts: readonly HostInterface[]): PlanResult {
  return computePlan({
    networkName: network.metadata.name,
    config: planConfigOf(network),
    hosts: hosts.map(planHostOf),
  });
}
