import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import type { PlanResult } from '@multinic/cidr-core';
import { DEFAULT_ROUTE_TABLE_BASE, routeTableName } from '@multinic/cidr-core';
import { EXIT, InputError, formatTable, type CliIO } from '../io.js';
import { loadHosts, loadNetwork, planOf } from '../load.js';

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
  const result = planOf(network, hosts);
  const report = { cidr: result.plan, ippools: result.ippools, routes: result.routes, problems: result.problems };
  if (output === 'json') io.out(`${JSON.stringify(report, null, 2)}\n`);
  else if (output === 'yaml') io.out(stringify(report));
  else io.out(planTable({ ...report, network: network.metadata.name }));
  for (const problem of result.problems) {
    io.err(
      `problem: ${[problem.network, problem.host].filter(Boolean).join(' ')}${problem.network || problem.host ? ': ' : ''}${problem.reason}\n`,
    );
  }
  return result.problems.length === 0 ? EXIT.ok : EXIT.planProblems;
}

type Report = { network: string; cidr: PlanResult['plan']; routes: PlanResult['routes'] };

/**
 * For people: one row per host × interface, then the L3 routes as each node agent programs them: all of a network's
 * routes in its one table, named `mn-<network>`, whose id the agent picks per node (ADR 0002, amendment 1).
 */
function planTable(report: Report): string {
  const rows = report.cidr.cidr.flatMap((net) =>
    net.hosts.map((h) => {
      const routes = (report.routes[h.hostName] ?? []).filter((r) => r.dev === h.interfaceName).length;
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
