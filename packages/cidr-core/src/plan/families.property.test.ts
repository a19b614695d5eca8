// Laws of dual-stack planning (ADR 0006): per family the usual plan laws; interface indexes equal across families.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parsePrefix } from '../address.js';
import type { IpPrefix } from '../address.js';
import { prefixContains, prefixesOverlap } from '../prefix.js';
import { computeFamilyPlans } from './families.js';
import { computePlan } from './planner.js';
import type { PlanConfig, PlanHost, PlanResult } from './types.js';

const RUNS = { numRuns: 120 };
const NETS = [1, 2, 3];
const NAMES = Array.from({ length: 10 }, (_, i) => `host-${String.fromCharCode(97 + ((i * 7) % 10))}${i}`);

function prefix(text: string): IpPrefix {
  const parsed = parsePrefix(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

const v4Net = (net: number) => `10.0.${net}.0/24`;
const v6Net = (net: number) => `fd10:${net}::/64`;

interface Scenario {
  configs: PlanConfig[];
  hosts: PlanHost[];
}

/** Hosts whose NICs have an IPv4 address and, mostly, an IPv6 one; masterNets named in either family. */
const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    hosts: fc.uniqueArray(
      fc.record({
        name: fc.constantFrom(...NAMES),
        nics: fc.uniqueArray(fc.record({ net: fc.constantFrom(...NETS), v6: fc.boolean() }), {
          selector: (n) => n.net,
          maxLength: 3,
        }),
      }),
      { selector: (h) => h.name, maxLength: 8 },
    ),
    masterNets: fc.uniqueArray(fc.record({ net: fc.constantFrom(...NETS), as6: fc.boolean() }), {
      selector: (m) => m.net,
      maxLength: 3,
    }),
    v4HostBlock: fc.integer({ min: 3, max: 8 }),
    v6Bits: fc.constantFrom(
      { ib6: 8, hb6: 8, subnet4: '10.1.0.0/16', subnet6: 'fd00:10::/48' },
      { ib6: 24, hb6: 8, subnet4: '10.1.0.0/16', subnet6: 'fd00::/32' },
    ),
    v6First: fc.boolean(),
  })
  .map(({ hosts, masterNets, v4HostBlock, v6Bits, v6First }) => {
    const { ib6, hb6, subnet4, subnet6 } = v6Bits;
    const names = masterNets.map((m) => (m.as6 ? v6Net(m.net) : v4Net(m.net)));
    const v4: PlanConfig = {
      subnet: subnet4,
      interfaceBlock: 2,
      hostBlock: v4HostBlock,
      masterNets: names,
      excludeCIDRs: [],
    };
    const v6: PlanConfig = {
      subnet: subnet6,
      interfaceBlock: ib6,
      hostBlock: hb6,
      masterNets: names,
      excludeCIDRs: [],
    };
    return {
      configs: v6First ? [v6, v4] : [v4, v6],
      hosts: hosts.map(({ name, nics }) => {
        const n = NAMES.indexOf(name) + 1;
        return {
          hostName: name,
          interfaces: nics.map(({ net, v6: has6 }) => ({
            interfaceName: `eth${net}`,
            netAddress: v4Net(net),
            hostIP: `10.0.${net}.${n}`,
            ...(has6 ? { addresses: [`10.0.${net}.${n}/24`, `fd10:${net}::${n.toString(16)}/64`] } : {}),
          })),
        };
      }),
    };
  });

function blocksLaw(result: PlanResult, subnet: string): void {
  const sub = prefix(subnet);
  const vlans = result.plan.cidr.map((e) => prefix(e.vlanCIDR));
  for (const v of vlans) expect(prefixContains(sub, v)).toBe(true);
  const pods = result.ippools.map((p) => prefix(p.podCIDR));
  result.ippools.forEach((p, i) => {
    expect(prefixContains(prefix(p.vlanCIDR), pods[i] as IpPrefix)).toBe(true);
    expect((pods[i] as IpPrefix).family).toBe(sub.family);
    for (let j = i + 1; j < pods.length; j++)
      expect(prefixesOverlap(pods[i] as IpPrefix, pods[j] as IpPrefix)).toBe(false);
  });
  expect(new Set(result.ippools.map((p) => p.name)).size).toBe(result.ippools.length);
}

/** The NIC network of the other family a NIC on `key` is on (the scenario's networks pair 10.0.N with fd10:N). */
function twin(key: string): string {
  const v4 = /^10\.0\.(\d+)\.0\/24$/.exec(key);
  if (v4 !== null) return v6Net(Number(v4[1]));
  const v6 = /^fd10:(\d+)::\/64$/.exec(key);
  return v4Net(Number(v6?.[1]));
}

describe('computeFamilyPlans laws', () => {
  it('per family: vlan blocks in the subnet, pod blocks in their vlan block, of the family, never overlapping', () => {
    fc.assert(
      fc.property(scenarioArb, ({ configs, hosts }) => {
        const { results } = computeFamilyPlans({ networkName: 'ds', configs, hosts });
        results.forEach((result, k) => blocksLaw(result, (configs[k] as PlanConfig).subnet));
      }),
      RUNS,
    );
  });

  it('a NIC network has the same interface index in both families, and a NIC with both addresses a pool in both', () => {
    fc.assert(
      fc.property(scenarioArb, ({ configs, hosts }) => {
        const { results, problems } = computeFamilyPlans({ networkName: 'ds', configs, hosts });
        const [first, later] = results as [PlanResult, PlanResult];
        const indexOf = new Map(later.plan.cidr.map((e) => [e.netAddress, e.interfaceIndex]));
        for (const entry of first.plan.cidr) {
          const other = indexOf.get(twin(entry.netAddress));
          if (other !== undefined) expect(other).toBe(entry.interfaceIndex);
        }
        const pools = (r: PlanResult) => new Set(r.ippools.map((p) => `${p.hostName}/${p.interfaceName}`));
        const [p0, p1] = [pools(first), pools(later)];
        for (const host of hosts)
          for (const nic of host.interfaces) {
            const key = `${host.hostName}/${nic.interfaceName}`;
            if (nic.addresses !== undefined && p0.has(key)) expect(p1.has(key)).toBe(true);
            if (nic.addresses === undefined && p0.has(key))
              expect(problems.some((p) => p.code === 'NO_FAMILY_ADDRESS' && p.host === host.hostName)).toBe(true);
          }
      }),
      RUNS,
    );
  });

  it('does not depend on host order, and a host leaving moves no other host in either family', () => {
    fc.assert(
      fc.property(scenarioArb, ({ configs, hosts }) => {
        const once = computeFamilyPlans({ networkName: 'ds', configs, hosts });
        const reversed = computeFamilyPlans({ networkName: 'ds', configs, hosts: [...hosts].reverse() });
        expect(reversed.results.map((r) => r.plan)).toEqual(once.results.map((r) => r.plan));
        const gone = hosts[0]?.hostName;
        const after = computeFamilyPlans({
          networkName: 'ds',
          configs,
          hosts: hosts.slice(1),
          previous: once.results.map((r) => r.plan),
        });
        once.results.forEach((result, k) => {
          const kept = new Map(after.results[k]?.ippools.map((p) => [`${p.hostName}/${p.interfaceName}`, p.podCIDR]));
          // A NIC with both addresses keeps its blocks (one without the first family's address is planned in the
          // other family only while its network is planned in the first, and is reported).
          const dual = new Set(
            hosts.flatMap((h) =>
              h.interfaces.filter((n) => n.addresses).map((n) => `${h.hostName}/${n.interfaceName}`),
            ),
          );
          for (const pool of result.ippools) {
            const key = `${pool.hostName}/${pool.interfaceName}`;
            if (pool.hostName !== gone && dual.has(key)) expect(kept.get(key)).toBe(pool.podCIDR);
          }
        });
      }),
      RUNS,
    );
  });

  it('one family is computePlan over the NICs addresses of that family', () => {
    fc.assert(
      fc.property(scenarioArb, ({ configs, hosts }) => {
        const v4 = configs.find((c) => c.subnet.startsWith('10.')) as PlanConfig;
        const { results } = computeFamilyPlans({ networkName: 'n', configs: [v4], hosts });
        const plain = computePlan({
          networkName: 'n',
          // An entry named by its IPv6 prefix names the IPv4 network of the NICs that have that IPv6 address.
          config: {
            ...v4,
            masterNets: v4.masterNets.flatMap((m) =>
              !m.startsWith('fd')
                ? [m]
                : hosts.some((h) => h.interfaces.some((n) => n.addresses && n.netAddress === twin(m)))
                  ? [twin(m)]
                  : [],
            ),
          },
          hosts: hosts.map((h) => ({ ...h, interfaces: h.interfaces.map(({ addresses: _a, ...nic }) => nic) })),
        });
        const untranslated = v4.masterNets.length > 0 && plain.plan.config.masterNets.length === 0;
        if (untranslated) expect(results[0]?.ippools).toEqual([]);
        else expect(results[0]?.plan.cidr).toEqual(plain.plan.cidr);
        if (!untranslated) expect(results[0]?.ippools).toEqual(plain.ippools);
      }),
      RUNS,
    );
  });
});
