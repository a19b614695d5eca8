import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import type { NetworkPlan, PlannedRoute, PlanResult } from '@multinic/cidr-core';
import { DEFAULT_ROUTE_TABLE_BASE, routeTableName } from '@multinic/cidr-core';
import { EXIT, InputError, formatTable, type CliIO } from '../io.js';
import { loadHosts, loadNetwork, planFamiliesOf } from '../load.js';

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
  if (values.hosts === undefined)
    throw new InputError('--hosts FILE is required: a (multi-document) YAML of HostInterface manifests');
  const output = values.output as Output;
  if (!OUTPUTS.includes(output))
    throw new InputError(`-o must be one of ${OUTPUTS.join(', ')}, not "${values.output}"`);

  const network = await loadNetwork(io, values.file);
  const hosts = await loadHosts(io, values.hosts);
  const { results, problems } = planFamiliesOf(network, hosts);
  const [first, other] = results as [PlanResult, ...PlanResult[]];
  // A dual-stack network (ADR 0006): the CIDR as the controller writes it (otherFamily beside the first family's plan),
  // the IPPools and L3 routes of both families.
  const cidr: Plan = other === undefined ? first.plan : { ...first.plan, otherFamily: other.plan };
  const report = { cidr, ippools: results.flatMap((r) => r.ippools), routes: mergedRoutes(results), problems };
  if (output === 'json') io.out(`${JSON.stringify(report, null, 2)}\n`);
  else if (output === 'yaml') io.out(stringify(report));
  else io.out(planTable({ ...report, network: network.metadata.name }));
  for (const problem of problems) {
    io.err(
      `problem: ${[problem.network, problem.host].filter(Boolean).join(' ')}${problem.network || problem.host ? ': ' : ''}${problem.reason}\n`,
    );
  }
  return problems.length === 0 ? EXIT.ok : EXIT.planProblems;
}

type Plan = NetworkPlan & { otherFamily?: NetworkPlan };
type Routes = Readonly<Record<string, readonly PlannedRoute[]>>;
type Report = { network: string; cidr: Plan; routes: Routes };

/** The routes of every family per host (a single family's lazy record as it is). */
function mergedRoutes(results: readonly PlanResult[]): Routes {
  if (results.length === 1) return (results[0] as PlanResult).routes;
  const routes: Record<string, PlannedRoute[]> = {};
  for (const result of results)
    for (const host of Object.keys(result.routes)) (routes[host] ??= []).push(...(result.routes[host] ?? []));
  return routes;
}

/**
 * For people: one row per host × interface, then the L3 routes as each node agent programs them: all of a network's
 * routes in its one table, named `mn-<network>`, whose id the agent picks per node (ADR 0002, amendment 1).
 */
function planTable(report: Report): string {
  const entries = [...report.cidr.cidr, ...(report.cidr.otherFamily?.cidr ?? [])];
  const rows = entries.flatMap((net) =>
    net.hosts.map((h) => {
      // The routes of this family (a dual-stack NIC has routes of both).
      const v6 = net.netAddress.includes(':');
      const routes = (report.routes[h.hostName] ?? []).filter(
        (r) => r.dev === h.interfaceName && r.dst.includes(':') === v6,
      ).length;
      return [
        h.hostName,
        h.interfaceName,
        h.hostIP,
        net.netAddress,
        String(net.interfaceIndex),
        net.vlanCIDR,
        String(h.hostIndex),
        h.podCIDR,
        String(routes),
      ];
    }),
  );
  rows.sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? '') || Number(a[4]) - Number(b[4]));
  const blocks = formatTable(
    ['HOST', 'INTERFACE', 'HOST IP', 'NETWORK', 'IFINDEX', 'VLAN CIDR', 'HOSTINDEX', 'POD CIDR', 'ROUTES'],
    rows,
  );
  const table = routeTableName(report.network);
  const routeRows = Object.keys(report.routes)
    .sort()
    .flatMap((host) =>
      (report.routes[host] ?? []).map((r) => [host, `ip route add ${r.dst} via ${r.via} dev ${r.dev} table ${table}`]),
    );
  if (routeRows.length === 0) return blocks;
  const note = `table ${table}: one routing table per network, selected by "from <VLAN CIDR>" rules; each node agent gives it the lowest id >= ${DEFAULT_ROUTE_TABLE_BASE} (routes.tableBase) free on that node and names it in rt_tables.d/multinic.conf\n`;
  return `${blocks}\n${formatTable(['HOST', 'L3 ROUTE'], routeRows)}${note}`;
}
