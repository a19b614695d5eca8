import type { AttachPolicy, AttachPolicyAlternative, HostNic } from '@multinic/crd-types';
import { masterNetIndex, nicNetworks } from '@multinic/crd-types';
import type { StrategyContext, StrategyOutcome, StrategyParams } from './context.js';
import { fail, reason } from './context.js';
import { byName, compareInterfaceNames } from './order.js';
import { strategyCostOpt } from './strategies/cost.js';
import { strategyPerfOpt, strategyTopology } from './strategies/ranked.js';
import { strategySelector } from './strategies/selector.js';
import { strategyNicClass, strategyNone } from './strategies/simple.js';
import type { NicSelection, NotChosen, PodNicRequest, PolicyError, PolicyResult, SelectNicsInput } from './types.js';

type StrategyFn = (ctx: StrategyContext, params: StrategyParams) => PolicyResult<StrategyOutcome>;

const STRATEGIES: Readonly<Record<string, StrategyFn>> = {
  none: strategyNone,
  nicClass: strategyNicClass,
  topology: strategyTopology,
  perfOpt: strategyPerfOpt,
  costOpt: strategyCostOpt,
  selector: strategySelector,
};

const STRATEGY_NAMES = [...Object.keys(STRATEGIES), 'firstAvailable'];

/** The pod's cni-args win over the policy's own arguments. */
function paramsFor(
  policy: AttachPolicy | AttachPolicyAlternative,
  request: PodNicRequest,
): PolicyResult<StrategyParams> {
  const nics = request.nics ?? policy.nics;
  if (nics !== undefined && !(Number.isSafeInteger(nics) && nics > 0)) {
    return fail({ code: 'invalid-argument', message: `nics must be a positive whole number, got ${String(nics)}` });
  }
  const params: { -readonly [K in keyof StrategyParams]: StrategyParams[K] } = {};
  if (nics !== undefined) params.nics = nics;
  const target = request.target ?? policy.target;
  if (target !== undefined) params.target = target;
  const cls = request.class ?? policy.class;
  if (cls !== undefined) params.class = cls;
  if (policy.selector !== undefined) params.selector = policy.selector;
  return { ok: true, value: params };
}

/** Runs one attach policy against the eligible candidates. */
export function runPolicy(
  ctx: StrategyContext,
  policy: AttachPolicy | AttachPolicyAlternative,
  request: PodNicRequest,
): PolicyResult<StrategyOutcome> {
  if (policy.strategy === 'firstAvailable') return firstAvailable(ctx, policy, request);
  const fn = STRATEGIES[policy.strategy];
  if (fn === undefined) {
    return fail({
      code: 'unknown-strategy',
      message: `unknown attach strategy ${JSON.stringify(policy.strategy)}: use one of ${STRATEGY_NAMES.join(', ')}`,
    });
  }
  const params = paramsFor(policy, request);
  return params.ok ? fn(ctx, params.value) : params;
}

/** `firstAvailable`: the first alternative that can be satisfied wins; the outcome records its index. */
function firstAvailable(
  ctx: StrategyContext,
  policy: AttachPolicy | AttachPolicyAlternative,
  request: PodNicRequest,
): PolicyResult<StrategyOutcome> {
  const alternatives = 'alternatives' in policy ? (policy.alternatives ?? []) : [];
  if (alternatives.length === 0) {
    return fail({
      code: 'missing-argument',
      message: 'strategy firstAvailable needs attachPolicy.alternatives: a non-empty list of policies to try in order',
    });
  }
  const errors: PolicyError[] = [];
  for (const [index, alternative] of alternatives.entries()) {
    const outcome =
      alternative.strategy === 'firstAvailable'
        ? fail<StrategyOutcome>({
            code: 'invalid-argument',
            message: 'an alternative cannot itself be firstAvailable: list its alternatives directly',
          })
        : runPolicy(ctx, alternative, request);
    if (outcome.ok) return { ok: true, value: { ...outcome.value, alternative: index } };
    errors.push(outcome.error);
  }
  const detail = errors.map((e, i) => `#${i} (${alternatives[i]?.strategy ?? '?'}): ${e.message}`).join(' | ');
  return fail({
    code: 'no-alternative',
    message: `strategy firstAvailable: none of the ${alternatives.length} alternatives can be satisfied. ${detail}`,
    alternatives: errors,
  });
}

/** PCI addresses compare case-insensitively, with the default domain `0000:` added when missing. */
export function normalizePciAddress(address: string): string {
  const a = address.trim().toLowerCase();
  return /^[0-9a-f]+:[0-9a-f]+\.[0-7]$/.test(a) ? `0000:${a}` : a;
}

function duplicateNames(nics: readonly HostNic[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const nic of nics) {
    if (seen.has(nic.interfaceName)) dup.add(nic.interfaceName);
    seen.add(nic.interfaceName);
  }
  return [...dup].sort(compareInterfaceNames);
}

/** Device-plugin / DRA allocations: exactly those NICs, in allocation order; no strategy runs. */
function deviceAllocated(sorted: readonly HostNic[], addresses: readonly string[]): PolicyResult<NicSelection> {
  const byPci = new Map<string, HostNic>();
  for (const nic of sorted) if (nic.pciAddress !== undefined) byPci.set(normalizePciAddress(nic.pciAddress), nic);
  const chosen: HostNic[] = [];
  for (const address of addresses) {
    const nic = byPci.get(normalizePciAddress(address));
    if (nic === undefined) {
      const known = [...byPci.entries()].map(([pci, n]) => `${n.interfaceName}=${pci}`).join(', ') || 'none';
      return fail({
        code: 'unknown-device',
        message: `the pod was allocated PCI device ${address}, but no NIC of this host has that PCI address (host NICs with PCI addresses: ${known}); check the device plugin's resource pool and the node agent's discovery`,
      });
    }
    if (!chosen.includes(nic)) chosen.push(nic);
  }
  const notChosen = sorted
    .filter((nic) => !chosen.includes(nic))
    .map((nic) =>
      reason(nic, 'not-device-allocated', 'the pod was allocated other NICs by its device plugin / DRA claim'),
    );
  return { ok: true, value: { chosen, notChosen, strategy: 'none', deviceAllocated: true } };
}

interface Eligible {
  readonly candidates: HostNic[];
  readonly excluded: NotChosen[];
  readonly baseOrder: string;
}

/** Filters by the network's masterNets; orders by masterNets position, then interface name. */
function byMasterNets(sorted: readonly HostNic[], masterNets: readonly string[]): Eligible {
  if (masterNets.length === 0) return { candidates: [...sorted], excluded: [], baseOrder: 'interface-name order' };
  // A NIC is on a master network when any of its networks (IPv4 or IPv6) is named, by value.
  const position = (nic: HostNic): number => masterNetIndex(masterNets, nic);
  const excluded = sorted
    .filter((nic) => position(nic) < 0)
    .map((nic) => {
      const networks = nicNetworks(nic);
      const its =
        networks.length > 1
          ? `none of its networks ${networks.join(', ')} is`
          : `its network ${networks[0] ?? '(none)'} is not`;
      return reason(nic, 'not-in-master-nets', `${its} in the network's masterNets [${masterNets.join(', ')}]`);
    });
  const candidates = sorted.filter((nic) => position(nic) >= 0).sort((a, b) => position(a) - position(b));
  return { candidates, excluded, baseOrder: 'masterNets order, then interface name' };
}

/** Restricts to the pod's `masters`, in the pod's order; each must exist and be eligible. */
function byMasters(eligible: Eligible, sorted: readonly HostNic[], masters: readonly string[]): PolicyResult<Eligible> {
  const candidates: HostNic[] = [];
  for (const name of masters) {
    const nic = eligible.candidates.find((n) => n.interfaceName === name);
    if (nic !== undefined) {
      if (!candidates.includes(nic)) candidates.push(nic);
      continue;
    }
    const why = eligible.excluded.find((r) => r.interfaceName === name);
    const exists = sorted.map((n) => n.interfaceName).join(', ') || 'none';
    return fail({
      code: 'unknown-master',
      message:
        why === undefined
          ? `the pod asked for master ${name}, but this host has no such NIC (it has: ${exists}); fix cni-args "masters"`
          : `the pod asked for master ${name}, but it cannot be used: ${why.message}; fix cni-args "masters" or the network's masterNets`,
    });
  }
  const requested = eligible.candidates
    .filter((nic) => !candidates.includes(nic))
    .map((nic) => reason(nic, 'not-requested', `the pod asked for masters [${masters.join(', ')}] only`));
  return {
    ok: true,
    value: { candidates, excluded: [...eligible.excluded, ...requested], baseOrder: "the pod's masters order" },
  };
}

function finish(outcome: StrategyOutcome, excluded: readonly NotChosen[]): NicSelection {
  const notChosen = [...excluded, ...outcome.notChosen].sort((a, b) =>
    compareInterfaceNames(a.interfaceName, b.interfaceName),
  );
  const selection = { chosen: outcome.chosen, notChosen, strategy: outcome.strategy, deviceAllocated: false };
  return outcome.alternative === undefined ? selection : { ...selection, alternative: outcome.alternative };
}

/**
 * Decides which host NICs a pod gets, in pod-interface order, and why every other NIC was not chosen.
 * Device allocations short-circuit; otherwise masterNets and the pod's `masters` filter, then the attach
 * policy's strategy ranks. Pure and deterministic: the input order of `hostNics` does not matter.
 */
export function selectNics(input: SelectNicsInput): PolicyResult<NicSelection> {
  const duplicates = duplicateNames(input.hostNics);
  if (duplicates.length > 0) {
    return fail({
      code: 'duplicate-interface',
      message: `the host lists NIC ${duplicates.join(', ')} more than once; every interfaceName must be unique (fix the HostInterface)`,
    });
  }
  const sorted = byName(input.hostNics);
  const request = input.request ?? {};
  if (request.allocatedPciAddresses !== undefined && request.allocatedPciAddresses.length > 0) {
    return deviceAllocated(sorted, request.allocatedPciAddresses);
  }
  let eligible = byMasterNets(sorted, input.network.masterNets ?? []);
  if (request.masters !== undefined && request.masters.length > 0) {
    const restricted = byMasters(eligible, sorted, request.masters);
    if (!restricted.ok) return restricted;
    eligible = restricted.value;
  }
  const ctx: StrategyContext = {
    ...eligible,
    hostNicCount: sorted.length,
    gpuNumaNodes: request.gpuNumaNodes ?? [],
    ...(input.nicClasses === undefined ? {} : { nicClasses: input.nicClasses }),
  };
  const outcome = runPolicy(ctx, input.network.attachPolicy ?? { strategy: 'none' }, request);
  return outcome.ok ? { ok: true, value: finish(outcome.value, eligible.excluded) } : outcome;
}
