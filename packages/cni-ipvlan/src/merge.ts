// One result from the delegates' results. Multus writes the pod's network-status from it: one entry per interface
// with a `sandbox`, carrying the ips whose `interface` index points at it — so every index must be right.
import type { CniInterface, CniIpConfig, CniResult, CniRoute } from '@multinic/crd-types';

/** One delegate's result (already in the newest version) and the pod interface it was asked to create. */
export interface DelegateOutcome {
  readonly podInterface: string;
  readonly result: CniResult;
}

function sameRoute(a: CniRoute, b: CniRoute): boolean {
  return a.dst === b.dst && a.gw === b.gw && a.table === b.table;
}

function hasDns(dns: CniResult['dns']): boolean {
  return (
    dns !== undefined && Object.values(dns).some((v) => (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== ''))
  );
}

/** The delegate's interfaces, with the pod interface present and marked as inside `netns` even if the delegate left it out. */
function interfacesOf(outcome: DelegateOutcome, netns: string): { interfaces: CniInterface[]; pod: number } {
  const interfaces = [...(outcome.result.interfaces ?? [])];
  let pod = interfaces.findIndex((i) => i.name === outcome.podInterface && i.sandbox !== undefined && i.sandbox !== '');
  if (pod < 0) {
    pod = interfaces.findIndex((i) => i.name === outcome.podInterface);
    if (pod < 0) {
      interfaces.push({ name: outcome.podInterface, sandbox: netns });
      pod = interfaces.length - 1;
    } else {
      interfaces[pod] = { ...interfaces[pod], name: outcome.podInterface, sandbox: netns };
    }
  }
  return { interfaces, pod };
}

/**
 * Concatenates the delegates' interfaces and re-bases every `ips[].interface` onto the merged list; an address
 * without an index (an IPAM-style result) is attached to its delegate's pod interface. Routes are merged without
 * duplicates; the first non-empty DNS wins.
 */
export function mergeResults(outcomes: readonly DelegateOutcome[], netns: string): CniResult {
  const interfaces: CniInterface[] = [];
  const ips: CniIpConfig[] = [];
  const routes: CniRoute[] = [];
  let dns: CniResult['dns'];
  for (const outcome of outcomes) {
    const offset = interfaces.length;
    const own = interfacesOf(outcome, netns);
    interfaces.push(...own.interfaces);
    for (const ip of outcome.result.ips ?? []) {
      const { version: _version, ...rest } = ip;
      ips.push({ ...rest, interface: offset + (ip.interface ?? own.pod) });
    }
    for (const route of outcome.result.routes ?? []) if (!routes.some((r) => sameRoute(r, route))) routes.push(route);
    if (dns === undefined && hasDns(outcome.result.dns)) dns = outcome.result.dns;
  }
  return {
    cniVersion: '1.1.0',
    interfaces,
    ips,
    ...(routes.length === 0 ? {} : { routes }),
    ...(dns === undefined ? {} : { dns }),
  };
}
