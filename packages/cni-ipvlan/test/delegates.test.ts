// The delegate pipeline with Debian's real reference plugins (macvlan, ipvlan, host-device, static) inside
// throw-away network namespaces: what ADD leaves in the pod, what a failed ADD leaves (nothing), DEL, CHECK.
// Needs root. The node agent is not involved: allocations are given as the agent would answer.
import { afterAll, describe, expect, it } from '@jest/globals';
import type { Allocation, CniResult } from '@multinic/crd-types';
import { CniFailure, createLogger } from '@multinic/cni-skel';
import { buildDelegates, parsePlugin, podInterfaceName } from '@multinic/netconf';
import type { DelegatePlan, PluginConfig } from '@multinic/netconf';
import { addDelegates, checkDelegates, delDelegates, delegateArgs } from '../src/delegates.js';
import type { DelegateContext } from '../src/delegates.js';
import { placePodTables, removePodRules } from '../src/pod-ip.js';
import { addresses, createLab, destroyAllLabs, destroyLab, ip, links, sh } from './lab.js';
import type { Lab } from './lab.js';

afterAll(destroyAllLabs);

const ALLOCATIONS: Allocation[] = [
  {
    interfaceName: 'eth1',
    podInterface: 'net1-0',
    address: '192.168.0.9/18',
    gateway: '192.168.0.1',
    podCIDR: '192.168.0.0/24',
    vlanCIDR: '192.168.0.0/18',
    ippool: 'p0',
  },
  {
    interfaceName: 'eth2',
    podInterface: 'net1-1',
    address: '192.168.64.9/18',
    podCIDR: '192.168.64.0/24',
    vlanCIDR: '192.168.64.0/18',
    ippool: 'p1',
  },
];

function pluginOf(type: string, args: Record<string, unknown> = {}): PluginConfig {
  const plugin = parsePlugin({ cniVersion: '1.0.0', type, args });
  if (!plugin.ok) throw new Error(plugin.error);
  return plugin.value;
}

function planFor(plugin: PluginConfig, allocations: readonly Allocation[] = ALLOCATIONS): DelegatePlan {
  const plan = buildDelegates({ plugin, nics: allocations, routes: [{ dst: '10.0.0.0/8', gw: '192.168.0.1' }] });
  if (!plan.ok) throw new Error(plan.error);
  return plan.value;
}

function contextFor(lab: Lab, log: string[] = []): DelegateContext {
  return {
    containerId: 'c0ffee',
    netns: lab.podPath,
    args: delegateArgs({ K8S_POD_NAMESPACE: 'default', K8S_POD_NAME: 'web-0', K8S_POD_UID: 'u-1', IP: '10.1.1.1/24' }),
    path: [lab.cniPath],
    environ: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    log: createLogger({ level: 'debug', write: (line) => void log.push(line), now: () => new Date(0) }),
  };
}

async function failureOf(promise: Promise<unknown>): Promise<CniFailure> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof CniFailure) return err;
    throw err;
  }
  throw new Error('expected a CniFailure');
}

async function inLab<T>(nics: readonly string[], body: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = createLab(nics);
  try {
    return await body(lab);
  } finally {
    destroyLab(lab);
  }
}

describe('macvlan delegates', () => {
  it('ADD gives the pod one interface per NIC with its address, source rules and tables; the result indexes them', async () => {
    await inLab(['eth1', 'eth2'], async (lab) => {
      const plan = planFor(pluginOf('macvlan', { mode: 'bridge' }));
      const result = await addDelegates(contextFor(lab), plan);
      expect(addresses(lab.pod, 'net1-0')).toEqual(['192.168.0.9/18']);
      expect(addresses(lab.pod, 'net1-1')).toEqual(['192.168.64.9/18']);
      expect(result.interfaces?.map((i) => [i.name, i.sandbox])).toEqual([
        ['net1-0', lab.podPath],
        ['net1-1', lab.podPath],
      ]);
      expect(result.ips?.map((a) => [a.address, result.interfaces?.[a.interface ?? -1]?.name])).toEqual([
        ['192.168.0.9/18', 'net1-0'],
        ['192.168.64.9/18', 'net1-1'],
      ]);
      expect(result.routes).toEqual([{ dst: '10.0.0.0/8', gw: '192.168.0.1' }]);
      const rules = ip('-n', lab.pod, '-4', 'rule', 'show');
      expect(rules).toContain('from 192.168.0.9 lookup 100');
      expect(rules).toContain('from 192.168.64.9 lookup 101');
      expect(ip('-n', lab.pod, '-4', 'route', 'show', 'table', '100')).toContain('default via 192.168.0.1 dev net1-0');
      expect(ip('-n', lab.pod, '-4', 'route', 'show')).toContain('10.0.0.0/8 via 192.168.0.1 dev net1-0');
    });
  });

  it('DEL removes every pod interface and rule, and a second DEL is fine too', async () => {
    await inLab(['eth1', 'eth2'], async (lab) => {
      const plan = planFor(pluginOf('macvlan', { mode: 'bridge' }));
      const ctx = contextFor(lab);
      await addDelegates(ctx, plan);
      await removePodRules(lab.podPath, plan.routes, ctx.environ);
      expect(await delDelegates(ctx, plan.delegates)).toEqual([]);
      expect(links(lab.pod)).toEqual(['lo']);
      expect(ip('-n', lab.pod, '-4', 'rule', 'show')).not.toContain('lookup 100');
      await removePodRules(lab.podPath, plan.routes, ctx.environ);
      expect(await delDelegates(ctx, plan.delegates)).toEqual([]);
    });
  });

  it("a failing second delegate: the first interface is DELeted and the error is the delegate's own", async () => {
    await inLab(['eth1'], async (lab) => {
      const log: string[] = [];
      const plan = planFor(pluginOf('macvlan', { mode: 'bridge' })); // eth2 does not exist in this host
      const err = await failureOf(addDelegates(contextFor(lab, log), plan));
      expect(err.message).toBe('macvlan ADD net1-1: Link not found'); // its master, eth2, does not exist
      expect(links(lab.pod)).toEqual(['lo']);
      expect(ip('-n', lab.pod, '-4', 'rule', 'show')).not.toContain('lookup 100');
      expect(log.join('')).toContain('"added":["net1-0"]');
    });
  });

  it('a requested MAC is given to the first interface and checked in its result', async () => {
    await inLab(['eth1', 'eth2'], async (lab) => {
      const plan = planFor(pluginOf('macvlan', { mode: 'bridge' }));
      const result = await addDelegates(contextFor(lab), plan, { mac: '0a:58:c0:a8:00:09' });
      expect(result.interfaces?.[0]?.mac).toBe('0a:58:c0:a8:00:09');
      expect(ip('-n', lab.pod, 'link', 'show', 'net1-0')).toContain('link/ether 0a:58:c0:a8:00:09');
    });
  });

  it('CHECK passes on the attachment ADD made and fails once an interface lost its address', async () => {
    await inLab(['eth1', 'eth2'], async (lab) => {
      const plan = planFor(pluginOf('macvlan', { mode: 'bridge' }));
      const ctx = contextFor(lab);
      const result: CniResult = await addDelegates(ctx, plan);
      await expect(checkDelegates(ctx, plan, result)).resolves.toBeUndefined();
      ip('-n', lab.pod, 'addr', 'flush', 'dev', 'net1-1');
      const err = await failureOf(checkDelegates(ctx, plan, result));
      expect(err.message).toContain('macvlan CHECK net1-1');
    });
  });
});

describe('two multinic attachments of one pod (two NADs): gateways, ECMP, tables', () => {
  /** One attachment as the agent answers it: NIC i on 192.168.<64·(first+i)>.0/18, gateway .1 there. */
  function attachment(ifname: string, nics: readonly string[], first: number): Allocation[] {
    return nics.map((nic, i) => {
      const net = `192.168.${64 * (first + i)}`;
      return {
        interfaceName: nic,
        podInterface: podInterfaceName(ifname, i),
        address: `${net}.9/18`,
        gateway: `${net}.1`,
        podCIDR: `${net}.0/24`,
        vlanCIDR: `${net}.0/18`,
        ippool: `p-${nic}`,
      };
    });
  }

  function planOf(allocations: readonly Allocation[], dst: string): DelegatePlan {
    const plan = buildDelegates({
      plugin: pluginOf('macvlan', { mode: 'bridge' }),
      nics: allocations,
      routes: [{ dst }],
    });
    if (!plan.ok) throw new Error(plan.error);
    return plan.value;
  }

  /** The host side: each NIC's gateway on its veth peer, and 10.50.0.1 and 10.60.0.1 behind them (on lo). */
  function gateways(lab: Lab, allocations: readonly Allocation[]): void {
    for (const a of allocations)
      ip('-n', lab.host, 'addr', 'add', `${a.gateway ?? ''}/18`, 'dev', `${a.interfaceName}p`);
    ip('-n', lab.host, 'link', 'set', 'lo', 'up');
  }

  function ping(lab: Lab, from: string, to: string): number | null {
    return sh('ip', ['netns', 'exec', lab.pod, 'ping', '-c', '1', '-W', '2', '-I', from, to]).status;
  }

  /** `ip route get <to> from <from>` in the pod: the next hop, device and table the kernel picks. */
  function routeGet(
    lab: Lab,
    to: string,
    from: string,
  ): { gateway: string | undefined; dev: string | undefined; table: string | undefined } {
    const [r] = JSON.parse(ip('-n', lab.pod, '-N', '-j', 'route', 'get', to, 'from', from)) as {
      gateway?: string;
      dev?: string;
      table?: string;
    }[];
    return { gateway: r?.gateway, dev: r?.dev, table: r?.table };
  }

  it('each attachment gets its own tables; each address leaves through its own gateway; both work; ECMP over the gateways', async () => {
    await inLab(['eth1', 'eth2', 'eth3', 'eth4'], async (lab) => {
      const a = attachment('net1', ['eth1', 'eth2'], 0);
      const b = attachment('net2', ['eth3', 'eth4'], 2);
      gateways(lab, [...a, ...b]);
      ip('-n', lab.host, 'addr', 'add', '10.50.0.1/32', 'dev', 'lo');
      ip('-n', lab.host, 'addr', 'add', '10.60.0.1/32', 'dev', 'lo');
      const ctx = contextFor(lab);
      await addDelegates(ctx, planOf(a, '10.50.0.0/16'));
      await addDelegates(ctx, planOf(b, '10.60.0.0/16'));
      const rules = (
        JSON.parse(ip('-n', lab.pod, '-4', '-N', '-j', 'rule', 'show')) as {
          src?: string;
          table: string;
          priority: number;
        }[]
      )
        .filter((r) => r.src?.startsWith('192.168.') === true)
        .map((r) => `${r.priority} from ${r.src} lookup ${r.table}`);
      expect(rules).toEqual([
        '1000 from 192.168.0.9 lookup 100',
        '1001 from 192.168.64.9 lookup 101',
        '1002 from 192.168.128.9 lookup 102',
        '1003 from 192.168.192.9 lookup 103',
      ]);
      for (const [i, alloc] of [...a, ...b].entries()) {
        const address = alloc.address.split('/')[0] ?? '';
        expect(routeGet(lab, '10.99.0.1', address)).toEqual({
          gateway: alloc.gateway,
          dev: alloc.podInterface,
          table: String(100 + i),
        });
        expect(ping(lab, address, i < 2 ? '10.50.0.1' : '10.60.0.1')).toBe(0);
      }
      const ecmp = ip('-n', lab.pod, '-4', 'route', 'show', '10.50.0.0/16');
      expect(ecmp).toContain(`nexthop via 192.168.0.1 dev ${a[0]?.podInterface ?? ''}`);
      expect(ecmp).toContain(`nexthop via 192.168.64.1 dev ${a[1]?.podInterface ?? ''}`);
    });
  });

  it("CHECK verifies each attachment's rules and routes, naming what is missing; DEL of one leaves the other's", async () => {
    await inLab(['eth1', 'eth2', 'eth3', 'eth4'], async (lab) => {
      const a = attachment('net1', ['eth1', 'eth2'], 0);
      const b = attachment('net2', ['eth3', 'eth4'], 2);
      const ctx = contextFor(lab);
      const planA = planOf(a, '10.50.0.0/16');
      const planB = planOf(b, '10.60.0.0/16');
      const resultA = await addDelegates(ctx, planA);
      const resultB = await addDelegates(ctx, planB);
      await expect(checkDelegates(ctx, planA, resultA)).resolves.toBeUndefined();
      await expect(checkDelegates(ctx, planB, resultB)).resolves.toBeUndefined();
      ip('-n', lab.pod, 'rule', 'del', 'from', '192.168.64.9');
      const noRule = await failureOf(checkDelegates(ctx, planA, resultA));
      expect(noRule.message).toBe(
        `pod routing in ${lab.podPath}: the rule "from 192.168.64.9/32 lookup <table>" is missing`,
      );
      await expect(checkDelegates(ctx, planB, resultB)).resolves.toBeUndefined();
      ip('-n', lab.pod, 'route', 'del', 'default', 'table', '103');
      const noRoute = await failureOf(checkDelegates(ctx, planB, resultB));
      expect(noRoute.message).toBe(
        `pod routing in ${lab.podPath}: the route "0.0.0.0/0 via 192.168.192.1 dev ${b[1]?.podInterface ?? ''} table 103" is missing`,
      );
      await removePodRules(lab.podPath, planA.routes, ctx.environ);
      expect(await delDelegates(ctx, planA.delegates)).toEqual([]);
      const left = ip('-n', lab.pod, '-4', 'rule', 'show');
      expect(left).not.toContain('192.168.0.9');
      expect(left).toContain('from 192.168.128.9 lookup 102');
      expect(left).toContain('from 192.168.192.9 lookup 103');
    });
  });

  it('a repeated ADD of an attachment keeps the tables its rules point at', async () => {
    await inLab(['eth1', 'eth2'], async (lab) => {
      const a = attachment('net1', ['eth1', 'eth2'], 0);
      const plan = planOf(a, '10.50.0.0/16');
      const ctx = contextFor(lab);
      await addDelegates(ctx, plan);
      // The second address's rule points at 105 (say a first ADD placed it there): a fresh placement would pick 101.
      ip('-n', lab.pod, 'rule', 'del', 'from', '192.168.64.9');
      ip('-n', lab.pod, 'rule', 'add', 'from', '192.168.64.9', 'lookup', '105', 'priority', '1005');
      const again = await placePodTables(lab.podPath, plan.routes, ctx.environ);
      expect(again.rules.map((r) => [r.from, r.table, r.priority])).toEqual([
        ['192.168.0.9/32', 100, 1000],
        ['192.168.64.9/32', 105, 1005],
      ]);
      expect(again.tables.map((t) => t.table)).toEqual([100, 105]);
    });
  });
});

describe('ipvlan and host-device delegates', () => {
  it("ipvlan reaches the reference plugin's link step (this kernel has no ipvlan) and leaves nothing behind", async () => {
    await inLab(['eth1', 'eth2'], async (lab) => {
      const plan = planFor(pluginOf('ipvlan', { mode: 'l3' }));
      const err = await failureOf(addDelegates(contextFor(lab), plan));
      expect(err.code).toBe(999);
      expect(err.message).toBe('ipvlan ADD net1-0: failed to create ipvlan: operation not supported');
      expect(links(lab.pod)).toEqual(['lo']);
    });
  });

  it('host-device moves the NIC into the pod under its pod name, and DEL moves it back', async () => {
    await inLab(['eth1', 'eth2'], async (lab) => {
      const plan = planFor(pluginOf('host-device'));
      const ctx = contextFor(lab);
      const result = await addDelegates(ctx, plan);
      expect(links(lab.pod).sort()).toEqual(['lo', 'net1-0', 'net1-1']);
      expect(links(lab.host)).not.toContain('eth1');
      expect(result.ips?.map((a) => a.address)).toEqual(['192.168.0.9/18', '192.168.64.9/18']);
      expect(await delDelegates(ctx, plan.delegates)).toEqual([]);
      expect(links(lab.pod)).toEqual(['lo']);
      expect(links(lab.host)).toEqual(expect.arrayContaining(['eth1', 'eth2']));
    });
  });
});
