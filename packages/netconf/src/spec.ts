// The one check of a MultiNicNetwork's spec: what the controller marks InvalidSpec (nothing written, Degraded) and
// what `multinic validate` reports, so a manifest that validates is one the controller accepts.
import { computePlan } from '@multinic/cidr-core';
import type { MultiNicNetwork } from '@multinic/crd-types';
import { formatProblem, MultiNicNetworkSchema, parseWith, planConfigsOf } from '@multinic/crd-types';
import { buildNetworkAttachmentDefinition } from './nad.js';

export type NetworkSpecCheck =
  { readonly ok: true; readonly value: MultiNicNetwork } | { readonly ok: false; readonly problems: readonly string[] };

/**
 * Every problem of a MultiNicNetwork manifest that no host, namespace or earlier plan could change, each as
 * `field: what is wrong and what to do`: the schema (crd-types), the plan configuration of each pod subnet (cidr-core:
 * subnet or each entry of subnets, masterNets, block bits, excludeCIDRs) and the NetworkAttachmentDefinition it generates (the name, `spec.ipam`,
 * the delegate plugin and its args, e.g. sriov's required `resourceName`).
 */
export function checkNetworkSpec(manifest: unknown): NetworkSpecCheck {
  const parsed = parseWith(MultiNicNetworkSchema, manifest);
  if (!parsed.ok) return { ok: false, problems: parsed.problems.map(formatProblem) };
  const network = parsed.value;
  const configs = planConfigsOf(network);
  const problems = configs.flatMap((config, i) => {
    const plan = computePlan({ networkName: network.metadata.name, config, hosts: [] });
    const where = network.spec.subnets === undefined ? '' : `spec.subnets[${i}]: `;
    return plan.problems.map((p) => `${where}${p.reason}`);
  });
  const nad = buildNetworkAttachmentDefinition(network, 'default');
  if (!nad.ok) problems.push(nad.error);
  return problems.length === 0 ? { ok: true, value: network } : { ok: false, problems };
}
