import type { HostNic } from '@multinic/crd-types';
import { formatMbps, parseBandwidth } from '../bandwidth.js';
import type { StrategyContext, StrategyOutcome, StrategyParams } from '../context.js';
import { fail, reason } from '../context.js';
import type { NotChosen, PolicyResult } from '../types.js';
import { knownSpeed, perfOrder } from './ranked.js';

/** NICs of one speed, in preference order (GPU-local first, then base order). */
interface SpeedGroup {
  readonly speed: number;
  readonly nics: readonly HostNic[];
}

/** Groups NICs by speed, fastest group first; inside a group, perfOrder's tie-breaks (GPU-local, base order). */
function speedGroups(nics: readonly HostNic[], gpuNumaNodes: readonly number[]): SpeedGroup[] {
  const groups: { speed: number; nics: HostNic[] }[] = [];
  for (const nic of perfOrder(nics, gpuNumaNodes)) {
    const speed = knownSpeed(nic) ?? 0;
    const last = groups[groups.length - 1];
    if (last !== undefined && last.speed === speed) last.nics.push(nic);
    else groups.push({ speed, nics: [nic] });
  }
  return groups;
}

/** The smallest k such that the k fastest NICs reach the target (groups are fastest first). */
function fewestCount(groups: readonly SpeedGroup[], target: number): number | undefined {
  let sum = 0;
  let k = 0;
  for (const group of groups) {
    for (let i = 0; i < group.nics.length; i += 1) {
      sum += group.speed;
      k += 1;
      if (sum >= target) return k;
    }
  }
  return undefined;
}

interface Search {
  readonly groups: readonly SpeedGroup[];
  readonly target: number;
  best: { counts: number[]; sum: number } | undefined;
}

/** Largest sum reachable with `slots` NICs from groups[from..]. */
function maxReachable(groups: readonly SpeedGroup[], from: number, slots: number): number {
  let sum = 0;
  let left = slots;
  for (let g = from; g < groups.length && left > 0; g += 1) {
    const group = groups[g];
    if (group === undefined) break;
    const take = Math.min(left, group.nics.length);
    sum += take * group.speed;
    left -= take;
  }
  return left > 0 ? -Infinity : sum;
}

/**
 * Depth-first over "how many NICs of each speed", fastest group first and smaller counts first, so count
 * vectors are visited in lexicographic order; a solution replaces the best only with a strictly smaller sum.
 * Hence among the fewest-NIC sets it keeps the smallest total speed, and among equal totals the one that
 * uses the fewest of the fastest NICs.
 */
function search(state: Search, group: number, slots: number, acc: { counts: number[]; sum: number }): void {
  if (slots === 0) {
    if (acc.sum >= state.target && (state.best === undefined || acc.sum < state.best.sum)) {
      state.best = { counts: [...acc.counts], sum: acc.sum };
    }
    return;
  }
  const current = state.groups[group];
  if (current === undefined) return;
  if (acc.sum + maxReachable(state.groups, group, slots) < state.target) return;
  if (state.best !== undefined && acc.sum >= state.best.sum) return;
  for (let c = 0; c <= Math.min(slots, current.nics.length); c += 1) {
    acc.counts.push(c);
    acc.sum += c * current.speed;
    search(state, group + 1, slots - c, acc);
    acc.sum -= c * current.speed;
    acc.counts.pop();
  }
}

/**
 * Chooses the cheapest NIC set for a bandwidth target. Tie-breaks, in order:
 * 1. the fewest NICs whose summed speed reaches the target;
 * 2. among those, the smallest summed speed (least over-provisioning);
 * 3. among those, the fewest NICs of the fastest speed, then of the next speed, … (faster NICs stay free);
 * 4. inside one speed, GPU-local NICs first, then base order.
 * The chosen NICs are returned fastest first.
 */
export function cheapestSet(
  nics: readonly HostNic[],
  target: number,
  gpuNumaNodes: readonly number[],
): HostNic[] | undefined {
  const groups = speedGroups(nics, gpuNumaNodes);
  const k = fewestCount(groups, target);
  if (k === undefined) return undefined;
  const state: Search = { groups, target, best: undefined };
  search(state, 0, k, { counts: [], sum: 0 });
  const counts = state.best?.counts ?? [];
  return groups.flatMap((group, g) => group.nics.slice(0, counts[g] ?? 0));
}

function splitBySpeed(candidates: readonly HostNic[]): { known: HostNic[]; unknown: NotChosen[] } {
  const known: HostNic[] = [];
  const unknown: NotChosen[] = [];
  for (const nic of candidates) {
    if (knownSpeed(nic) === undefined) {
      unknown.push(
        reason(nic, 'speed-unknown', 'its link speed is unknown, so it cannot count towards a bandwidth target'),
      );
    } else known.push(nic);
  }
  return { known, unknown };
}

function speeds(nics: readonly HostNic[]): string {
  return nics.map((n) => `${n.interfaceName}=${formatMbps(knownSpeed(n) ?? 0)}`).join(', ');
}

/** `costOpt`: the fewest NICs whose summed speed reaches `target` (see `cheapestSet` for tie-breaks); `nics` caps the count. */
export function strategyCostOpt(ctx: StrategyContext, params: StrategyParams): PolicyResult<StrategyOutcome> {
  if (params.target === undefined || params.target === '') {
    return fail({
      code: 'missing-argument',
      message: 'strategy costOpt needs a target: set attachPolicy.target or the pod cni-arg "target" (e.g. "200Gbps")',
    });
  }
  const target = parseBandwidth(params.target);
  if (!target.ok) return target;
  const { known, unknown } = splitBySpeed(ctx.candidates);
  const chosen = cheapestSet(known, target.value, ctx.gpuNumaNodes);
  const have = known.reduce((sum, nic) => sum + (knownSpeed(nic) ?? 0), 0);
  if (chosen === undefined) {
    return fail({
      code: 'target-unreachable',
      message: `strategy costOpt: target ${params.target} is more than all usable NICs together (${formatMbps(have)}: ${speeds(known) || 'none'}). Lower the target or add faster NICs.`,
      notChosen: [...ctx.excluded, ...unknown],
    });
  }
  if (params.nics !== undefined && chosen.length > params.nics) {
    return fail({
      code: 'too-few-nics',
      message: `strategy costOpt: target ${params.target} needs at least ${chosen.length} NICs (${speeds(known)}), but the pod allows only ${params.nics}. Raise nics or lower the target.`,
    });
  }
  const sum = chosen.reduce((s, nic) => s + (knownSpeed(nic) ?? 0), 0);
  const names = chosen.map((n) => n.interfaceName).join('+');
  const verb = chosen.length === 1 ? 'reaches' : 'reach';
  const why = `not needed: ${names} (${formatMbps(sum)}) already ${verb} ${params.target} with the fewest NICs and the least spare speed`;
  const spare = known.filter((nic) => !chosen.includes(nic)).map((nic) => reason(nic, 'target-reached', why));
  return { ok: true, value: { chosen, notChosen: [...unknown, ...spare], strategy: 'costOpt' } };
}
