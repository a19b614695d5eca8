import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { computePlan, type PlanHost } from '@multinic/cidr-core';
import { HostInterfaceSchema, MultiNicNetworkSchema, planConfigOf, type HostInterface, type MultiNicNetwork } from '@multinic/crd-types';
import { EXIT, InputError, formatTable, loadDocuments, type CliIO } from '../io.js';
import { parseDocument } from '../parse-document.js';

const OUTPUTS = ['table', 'json', 'yaml'] as const;
type Output = (typeof OUTPUTS)[number];

/** `multinic plan -f network.yaml --hosts hosts.yaml`: what the controller will write for these hosts, offline. */
export async function planCommand(io: CliIO, args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      file: { type: 'string', short: 'f' },
      hosts: { type: 'string' },
      output: { type: 'string', short: 'o', default: 'table' },
    },
    strict: true,
  });
  if (values.file === undefined) throw new InputError('-f FILE is required: the MultiNicNetwork manifest to plan');
  if (values.hosts === undefined) throw new InputError('--hosts FILE is required: a (multi-document) YAML of HostInterface manifests');
  const output = values.output as Output;
  if (!OUTPUTS.includes(output)) throw new InputError(`-o must be one of ${OUTPUTS.join(', ')}, not "${values.output}"`);

  const network = await loadNetwork(io, values.file);
  const hosts = await loadHosts(io, values.hosts);
  const result = computePlan({
    networkName: network.metadata.name,
    config: planConfigOf(network),
    hosts: hosts.map(planHostOf),
  });
  const report = { cidr: result.plan, ippools: result.ippools, routes: result.routes, problems: result.problems };
  if (output === 'json') io.out(`${JSON.stringify(report, null, 2)}\n`);
  else if (output === 'yaml') io.out(stringify(report));
  else io.out(planTable(report));
  for (const problem of result.problems) {
    io.err(`problem: ${[problem.network, problem.host].filter(Boolean).join(' ')}${problem.network || problem.host ? ': ' : ''}${problem.reason}\n`);
  }
  return result.problems.length === 0 ? EXIT.ok : EXIT.planProblems;
}

async function loadNetwork(io: CliIO, file: string): Promise<MultiNicNetwork> {
  const docs = await loadDocuments(io, file);
  const [doc, ...rest] = docs;
  if (doc === undefined) throw new InputError(`${file}: holds no document; expected one MultiNicNetwork manifest`);
  if (rest.length > 0) throw new InputError(`${file}: holds ${docs.length} documents; plan takes exactly one MultiNicNetwork`);
  return parseDocument(doc, { kind: 'MultiNicNetwork', schema: MultiNicNetworkSchema, total: 1 });
}

async function loadHosts(io: CliIO, file: string): Promise<HostInterface[]> {
  const docs = await loadDocuments(io, file);
  if (docs.length === 0) throw new InputError(`${file}: holds no document; expected HostInterface manifests`);
  return docs.map((doc) => parseDocument(doc, { kind: 'HostInterface', schema: HostInterfaceSchema, total: docs.length }));
}

function planHostOf(host: HostInterface): PlanHost {
  return {
    hostName: host.spec.hostName,
    interfaces: host.spec.interfaces.map((nic) => ({ interfaceName: nic.interfaceName, netAddress: nic.netAddress, hostIP: nic.hostIP })),
  };
}

type Report = { cidr: ReturnType<typeof computePlan>['plan']; routes: ReturnType<typeof computePlan>['routes'] };

/** For people: one row per host × interface. */
function planTable(report: Report): string {
  const rows = report.cidr.cidr.flatMap((net) =>
    net.hosts.map((h) => {
      const routes = (report.routes[h.hostName] ?? []).filter((r) => r.dev === h.interfaceName).length;
      return [h.hostName, h.interfaceName, h.hostIP, net.netAddress, String(net.interfaceIndex), net.vlanCIDR, String(h.hostIndex), h.podCIDR, String(routes)];
    }),
  );
  rows.sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? '') || Number(a[4]) - Number(b[4]));
  return formatTable(['HOST', 'INTERFACE', 'HOST IP', 'NETWORK', 'IFINDEX', 'VLAN CIDR', 'HOSTINDEX', 'POD CIDR', 'ROUTES'], rows);
}
