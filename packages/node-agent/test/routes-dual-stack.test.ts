// L3 host routes of a dual-stack and of an IPv6-only network (issue 15, ADR 0006) in a real host namespace against the
// real API server: the CIDRs are written as the controller writes them (the dual-stack one with otherFamily), the
// agent programs both families into the network's one table — IPv6 pod blocks via the peers' IPv6 addresses on the
// same NIC network — with a rule per family's vlan CIDR, reports the count of both, and removes both when the CIDR goes.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NetworkPlan, PlanConfig, PlanHost } from '@multinic/cidr-core';
import { computeFamilyPlans, routesForHost } from '@multinic/cidr-core';
import type { HostInterface } from '@multinic/crd-types';
import type { KubeClient } from '@multinic/kube';
import { startTestEnv, type TestEnv } from '@multinic/testenv';
import type { Agent } from '../src/agent.js';
import { GROUP, TestHost, agentConfig, eventually, kube, postNetwork, startAgent, tearDown } from './helpers.js';

const NODE = 'node-l3';
let env: TestEnv | undefined;
let host: TestHost | undefined;
let agent: Agent | undefined;
let client: KubeClient;
let dir: string;

function theHost(): TestHost {
  if (host === undefined) throw new Error('no test host');
  return host;
}

function theAgent(): Agent {
  if (agent === undefined) throw new Error('no agent');
  return agent;
}

/** A host with a NIC on 10.10.<net>.0/24 + fd10:10:<net>::/64 per net, address .<n> / ::<n>. */
function dualHost(hostName: string, n: number, nets: readonly number[]): PlanHost {
  return {
    hostName,
    interfaces: nets.map((net) => ({
      interfaceName: `eth${net}`,
      netAddress: `10.10.${net}.0/24`,
      hostIP: `10.10.${net}.${n}`,
      addresses: [`10.10.${net}.${n}/24`, `fd10:10:${net}::${n}/64`],
    })),
  };
}

const HOSTS = [dualHost(NODE, 1, [1, 2]), dualHost('node2', 2, [1, 2]), dualHost('node3', 3, [1])];
const V4: PlanConfig = { subnet: '192.168.0.0/16', interfaceBlock: 2, hostBlock: 6, masterNets: [], excludeCIDRs: [] };
const V6: PlanConfig = { subnet: 'fd00:31::/48', interfaceBlock: 8, hostBlock: 8, masterNets: [], excludeCIDRs: [] };

function plans(configs: readonly PlanConfig[], hosts: readonly PlanHost[]): NetworkPlan[] {
  const { results, problems } = computeFamilyPlans({ networkName: 'x', configs, hosts });
  expect(problems).toEqual([]);
  return results.map((r) => r.plan);
}

async function createRouted(name: string, spec: Record<string, unknown>, cidr: object): Promise<void> {
  await postNetwork(client, name, {
    ...spec,
    ipam: { type: 'multi-nic-ipam', vlanMode: 'l3', interfaceBlock: 8, hostBlock: 8 },
    plugin: { cniVersion: '1.0.0', type: 'ipvlan', args: { mode: 'l3' } },
  });
  await client.request({
    method: 'POST',
    path: `${GROUP}/cidrs`,
    body: { apiVersion: 'multinic.dev/v1', kind: 'CIDR', metadata: { name }, spec: cidr },
  });
}

interface KernelRoute {
  dst: string;
  gateway?: string;
  dev?: string;
}

/** `dst via gateway dev` of a table, one family. */
function kernelRoutes(family: '-4' | '-6', table: number): string[] {
  let routes: KernelRoute[];
  try {
    routes = theHost().json<KernelRoute[]>([family, 'route', 'show', 'table', String(table)]);
  } catch (err) {
    // A table that holds no route of this family does not exist for it.
    if (/FIB table does not exist/.test(String((err as { stderr?: unknown }).stderr))) return [];
    throw err;
  }
  return routes.map((r) => `${r.dst} via ${r.gateway ?? ''} dev ${r.dev ?? ''}`);
}

/** `priority from prefix` of the rules pointing at a table, one family. */
function kernelRules(family: '-4' | '-6', table: number): string[] {
  return theHost()
    .json<{ priority: number; src?: string; srclen?: number; table: string }[]>([family, 'rule', 'show'])
    .filter((r) => r.table === String(table))
    .map((r) => `${r.priority} from ${r.src ?? ''}/${r.srclen ?? ''}`);
}

const planned = (plan: NetworkPlan): string[] =>
  routesForHost(plan, NODE, 0).map((r) => `${r.dst} via ${r.via} dev ${r.dev}`);

async function hostInterface(): Promise<HostInterface> {
  return client.request<HostInterface>({ method: 'GET', path: `${GROUP}/hostinterfaces/${NODE}` });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mn-l3ds-'));
  host = new TestHost();
  host.addNic({ name: 'eth1', cidr: '10.10.1.1/24', more: ['fd10:10:1::1/64'] });
  host.addNic({ name: 'eth2', cidr: '10.10.2.1/24', more: ['fd10:10:2::1/64'] });
  env = await startTestEnv({ controllerManager: false });
  client = kube(env.kubeConfig);
  const config = agentConfig(dir, NODE, {
    routes: { resyncMs: 60_000, rtTablesDir: path.join(dir, 'iproute2') },
    gc: { enabled: false },
    mirror: {},
  });
  agent = await startAgent({ config, dir, kubeConfig: env.kubeConfig, host: host.ops() });
}, 180_000);

afterAll(() => tearDown({ agent, client, env, host, dir }), 60_000);

describe('L3 routes of a dual-stack and an IPv6-only network', () => {
  const [v4, v6] = plans([V4, V6], HOSTS);
  if (v4 === undefined || v6 === undefined) throw new Error('no family plans');
  // IPv6-only: the NICs are named by their IPv6 networks, the plan's hostIPs are IPv6 addresses.
  const [only] = plans(
    [{ ...V6, subnet: 'fd00:30::/48' }],
    HOSTS.map((h) => ({
      hostName: h.hostName,
      interfaces: h.interfaces.map((nic) => {
        const six = nic.addresses?.[1] ?? '';
        return {
          interfaceName: nic.interfaceName,
          netAddress: six.replace(/::\d+\//, '::/'),
          hostIP: six.split('/')[0] ?? '',
        };
      }),
    })),
  );
  if (only === undefined) throw new Error('no IPv6-only plan');

  it("programs both families into the network's one table, a rule per family's vlan CIDR, and reports both", async () => {
    await createRouted(
      'net-ds',
      {
        subnets: [
          { cidr: V4.subnet, interfaceBlock: 2, hostBlock: 6 },
          { cidr: V6.subnet, interfaceBlock: 8, hostBlock: 8 },
        ],
      },
      {
        ...v4,
        otherFamily: v6,
      },
    );
    await createRouted('net-v6', { subnet: 'fd00:30::/48' }, only);
    const tables = await eventually(async () => {
      await theAgent().hooks.syncRoutesNow();
      const t = theAgent().hooks.routeTables();
      expect(Object.keys(t).sort()).toEqual(['net-ds', 'net-v6']);
      return t;
    }, 20_000);
    const [ds, six] = [tables['net-ds'] ?? -1, tables['net-v6'] ?? -1];
    expect(ds).not.toBe(six);
    expect(kernelRoutes('-4', ds)).toEqual(planned(v4));
    expect(kernelRoutes('-6', ds)).toEqual(planned(v6));
    // The peers' IPv6 pod blocks via their IPv6 addresses on the same NIC network.
    expect(kernelRoutes('-6', ds).map((r) => r.split(' via ')[1])).toEqual([
      'fd10:10:1::2 dev eth1',
      'fd10:10:1::3 dev eth1',
      'fd10:10:2::2 dev eth2',
    ]);
    expect(kernelRules('-4', ds)).toEqual(v4.cidr.map((e) => `1000 from ${e.vlanCIDR}`));
    expect(kernelRules('-6', ds)).toEqual(v6.cidr.map((e) => `1000 from ${e.vlanCIDR}`));
    expect([kernelRoutes('-4', six), kernelRoutes('-6', six)]).toEqual([[], planned(only)]);
    expect(kernelRules('-6', six)).toEqual(only.cidr.map((e) => `1000 from ${e.vlanCIDR}`));
    await eventually(
      async () =>
        expect(
          [...((await hostInterface()).status?.routes ?? [])].sort((a, b) => a.network.localeCompare(b.network)),
        ).toEqual([
          {
            network: 'net-ds',
            status: 'Success',
            table: ds,
            tableName: 'mn-net-ds',
            routes: planned(v4).length + planned(v6).length,
          },
          { network: 'net-v6', status: 'Success', table: six, tableName: 'mn-net-v6', routes: 3 },
        ]),
      20_000,
    );
    // Idempotent, and self-healing for IPv6 too.
    theHost().json([
      '-6',
      'route',
      'del',
      v6.cidr[0]?.hosts.find((h) => h.hostName === 'node2')?.podCIDR ?? '',
      'table',
      String(ds),
    ]);
    await theAgent().hooks.syncRoutesNow();
    expect(kernelRoutes('-6', ds)).toEqual(planned(v6));
  }, 90_000);

  it('removes both families of a network when its CIDR goes', async () => {
    const ds = theAgent().hooks.routeTables()['net-ds'] ?? -1;
    await client.request({ method: 'DELETE', path: `${GROUP}/cidrs/net-ds` });
    await eventually(async () => {
      await theAgent().hooks.syncRoutesNow();
      expect(Object.keys(theAgent().hooks.routeTables())).toEqual(['net-v6']);
    }, 20_000);
    expect([kernelRoutes('-4', ds), kernelRoutes('-6', ds), kernelRules('-4', ds), kernelRules('-6', ds)]).toEqual([
      [],
      [],
      [],
      [],
    ]);
    expect(kernelRoutes('-6', theAgent().hooks.routeTables()['net-v6'] ?? -1)).toEqual(planned(only));
  }, 60_000);
});
