import type { HostNic } from '@multinic/crd-types';
import { formatMbps, parseBandwidth } from '../bandwidth.js';
import type { StrategyContext, StrategyOutcome, StrategyParams } from '../context.js';
import { fail, reason, takeRanked } from '../context.js';
import type { PolicyResult } from '../types.js';

/** GPU count per NUMA node. */
export function gpuWeights(gpuNumaNodes: readonly number[]): Map<number, number> {
  const weights = new Map<number, number>();
  for (const node of gpuNumaNodes) weights.set(node, (weights.get(node) ?? 0) + 1);
  return weights;
}

/** How many of the pod's GPUs sit on this NIC's NUMA node (0 when the NIC's node is unknown). */
export function gpuWeightOf(nic: HostNic, weights: ReadonlyMap<number, number>): number {
  return nic.numaNode === undefined ? 0 : (weights.get(nic.numaNode) ?? 0);
}

function queuesByNode(candidates: readonly HostNic[], weights: ReadonlyMap<number, number>): Map<number, HostNic[]> {
  const queues = new Map<number, HostNic[]>();
  for (const nic of candidates) {
    if (gpuWeightOf(nic, weights) === 0 || nic.numaNode === undefined) continue;
    const queue = queues.get(nic.numaNode) ?? [];
    queue.push(nic);
    queues.set(nic.numaNode, queue);
  }
  return queues;
}

/** The node whose next NIC has the highest quotient weight/(taken+1) (D'Hondt); ties go to the lower node id. */
function nextNode(
  queues: ReadonlyMap<number, HostNic[]>,
  weights: ReadonlyMap<number, number>,
  taken: ReadonlyMap<number, number>,
): number | undefined {
  let best: number | undefined;
  const nodes = [...queues.keys()].sort((a, b) => a - b);
  for (const node of nodes) {
    if ((queues.get(node) ?? []).length === 0) continue;
    if (best === undefined || quotientGreater(node, best, { weights, taken })) best = node;
  }
  return best;
}

function quotientGreater(
  a: number,
  b: number,
  state: { weights: ReadonlyMap<number, number>; taken: ReadonlyMap<number, number> },
): boolean {
  // weight(a)/(taken(a)+1) > weight(b)/(taken(b)+1), in integers.
  const wa = state.weights.get(a) ?? 0;
  const wb = state.weights.get(b) ?? 0;
  return wa * ((state.taken.get(b) ?? 0) + 1) > wb * ((state.taken.get(a) ?? 0) + 1);
}

/**
 * Topology order: NICs on the NUMA nodes of the pod's GPUs first, apportioned by GPU count with the D'Hondt
 * method (node with GPU weight w that already gave t NICs has priority w/(t+1); ties → lower node id; within a
 * node, base order), then every other NIC in base order. Truncating this order to n NICs gives each GPU node a
 * share of NICs proportional to its GPUs.
 */
export function topologyOrder(candidates: readonly HostNic[], gpuNumaNodes: readonly number[]): HostNic[] {
  const weights = gpuWeights(gpuNumaNodes);
  const queues = queuesByNode(candidates, weights);
  const taken = new Map<number, number>();
  const aligned: HostNic[] = [];
  for (let node = nextNode(queues, weights, taken); node !== undefined; node = nextNode(queues, weights, taken)) {
    const nic = queues.get(node)?.shift();
    if (nic !== undefined) aligned.push(nic);
    taken.set(node, (taken.get(node) ?? 0) + 1);
  }
  const rest = candidates.filter((nic) => !aligned.includes(nic));
  return [...aligned, ...rest];
}

export function strategyTopology(ctx: StrategyContext, params: StrategyParams): PolicyResult<StrategyOutcome> {
  return takeRanked(ctx, {
    strategy: 'topology',
    ranked: topologyOrder(ctx.candidates, ctx.gpuNumaNodes),
    rejected: [],
    nics: params.nics,
    orderedBy: `GPU-local NICs first, shared by GPU count per NUMA node, then ${ctx.baseOrder}`,
  });
}

/** Speed in Mbps when known and positive, else undefined. */
export function knownSpeed(nic: HostNic): number | undefined {
  return nic.speedMbps !== undefined && nic.speedMbps > 0 ? nic.speedMbps : undefined;
}

/**
 * Performance order: speed descending (unknown speed last), then GPUs on the NIC's NUMA node descending,
 * then base order.
 */
export function perfOrder(candidates: readonly HostNic[], gpuNumaNodes: readonly number[]): HostNic[] {
  const weights = gpuWeights(gpuNumaNodes);
  const index = new Map(candidates.map((nic, i) => [nic, i]));
  return [...candidates].sort(
    (a, b) =>
      (knownSpeed(b) ?? -1) - (knownSpeed(a) ?? -1) ||
      gpuWeightOf(b, weights) - gpuWeightOf(a, weights) ||
      (index.get(a) ?? 0) - (index.get(b) ?? 0),
  );
}

/** How many of the ranked NICs (a prefix) it takes to reach `target`, or undefined when all of them fall short. */
function prefixReaching(ranked: readonly HostNic[], target: number): number | undefined {
  let sum = 0;
  for (const [i, nic] of ranked.entries()) {
    sum += knownSpeed(nic) ?? 0;
    if (sum >= target) return i + 1;
  }
  return undefined;
}

function totalSpeed(nics: readonly HostNic[]): string {
  return formatMbps(nics.reduce((sum, nic) => sum + (knownSpeed(nic) ?? 0), 0));
}

/**
 * `perfOpt`: the fastest NICs first (speed, then GPU-local, then base order). With a `target`, as many of them
 * as it takes to reach the target (`nics` caps the count); without one, `nics` of them (default: all).
 */
export function strategyPerfOpt(ctx: StrategyContext, params: StrategyParams): PolicyResult<StrategyOutcome> {
  const ranked = perfOrder(ctx.candidates, ctx.gpuNumaNodes);
  const orderedBy = `fastest first, then GPU-local, then ${ctx.baseOrder}`;
  if (params.target === undefined || params.target === '') {
    return takeRanked(ctx, { strategy: 'perfOpt', ranked, rejected: [], nics: params.nics, orderedBy });
  }
  const target = parseBandwidth(params.target);
  if (!target.ok) return target;
  const count = prefixReaching(ranked, target.value);
  if (count === undefined) {
    return fail({
      code: 'target-unreachable',
      message: `strategy perfOpt: target ${params.target} is more than all usable NICs together (${totalSpeed(ranked)}). Lower the target or add faster NICs.`,
      notChosen: ctx.excluded,
    });
  }
  if (params.nics !== undefined && count > params.nics) {
    return fail({
      code: 'too-few-nics',
      message: `strategy perfOpt: target ${params.target} needs the ${count} fastest NICs, but the pod allows only ${params.nics}. Raise nics or lower the target.`,
    });
  }
  const chosen = ranked.slice(0, count);
  const why = `not needed: the ${count} fastest NICs (${totalSpeed(chosen)}) already reach ${params.target}`;
  return {
    ok: true,
    value: {
      chosen,
      notChosen: ranked.slice(count).map((nic) => reason(nic, 'target-reached', why)),
      strategy: 'perfOpt',
    },
  };
}
