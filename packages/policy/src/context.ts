import type { HostNic } from '@multinic/crd-types';
import type { NicClassLookup, NotChosen, PolicyError, PolicyResult, Strategy } from './types.js';

/** The arguments a strategy runs with: the pod's cni-args override the policy's own values. */
export interface StrategyParams {
  readonly nics?: number;
  readonly target?: string;
  readonly class?: string;
  readonly selector?: string;
}

/** Everything a strategy sees. `candidates` already passed masterNets and the pod's `masters`. */
export interface StrategyContext {
  /** Eligible NICs in base preference order (the pod's `masters` order, else masterNets order, else by name). */
  readonly candidates: readonly HostNic[];
  /** How `candidates` is ordered, for messages: "the pod's masters order", "masterNets order", "interface-name order". */
  readonly baseOrder: string;
  /** NICs removed before any strategy ran, with the reason (kept for messages). */
  readonly excluded: readonly NotChosen[];
  /** How many NICs the host has in total (for messages). */
  readonly hostNicCount: number;
  readonly gpuNumaNodes: readonly number[];
  readonly nicClasses?: NicClassLookup;
}

export interface StrategyOutcome {
  readonly chosen: readonly HostNic[];
  readonly notChosen: readonly NotChosen[];
  readonly strategy: Strategy;
  readonly alternative?: number;
}

export function fail<T>(error: PolicyError): PolicyResult<T> {
  return { ok: false, error };
}

export function reason(nic: HostNic, code: NotChosen['code'], message: string): NotChosen {
  return { interfaceName: nic.interfaceName, code, message };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function describeReasons(reasons: readonly NotChosen[]): string {
  return reasons.map((r) => `${r.interfaceName}: ${r.message}`).join('; ');
}

export interface TakeOptions {
  readonly strategy: Strategy;
  /** Qualifying NICs, best first. */
  readonly ranked: readonly HostNic[];
  /** Candidates the strategy rejected, with the reason. */
  readonly rejected: readonly NotChosen[];
  readonly nics: number | undefined;
  /** How the ranking was made, for the `nic-limit` message, e.g. "fastest first". */
  readonly orderedBy: string;
}

/** Takes the first `nics` (default: all) ranked NICs; fewer than asked (or none at all) is a `too-few-nics` error. */
export function takeRanked(ctx: StrategyContext, options: TakeOptions): PolicyResult<StrategyOutcome> {
  const { ranked, rejected, nics, strategy } = options;
  const wanted = nics ?? 1;
  if (ranked.length < wanted)
    return fail(tooFew({ ctx, strategy, wanted, exact: nics !== undefined, rejected, ranked }));
  const count = nics ?? ranked.length;
  const chosen = ranked.slice(0, count);
  const limited = ranked
    .slice(count)
    .map((nic, i) =>
      reason(
        nic,
        'nic-limit',
        `ranked #${count + i + 1} (${options.orderedBy}); the pod asked for ${plural(count, 'NIC')}`,
      ),
    );
  return { ok: true, value: { chosen, notChosen: [...rejected, ...limited], strategy } };
}

interface TooFewOptions {
  readonly ctx: StrategyContext;
  readonly strategy: Strategy;
  readonly wanted: number;
  readonly exact: boolean;
  readonly rejected: readonly NotChosen[];
  readonly ranked: readonly HostNic[];
}

export function tooFew(options: TooFewOptions): PolicyError {
  const { ctx, strategy, wanted, exact, rejected, ranked } = options;
  const asked = exact ? plural(wanted, 'NIC') : 'at least 1 NIC';
  const names = ranked.map((n) => n.interfaceName).join(', ');
  const qualify =
    ranked.length === 0
      ? `none of the host's ${plural(ctx.hostNicCount, 'NIC')} qualifies`
      : `only ${ranked.length} of the host's ${plural(ctx.hostNicCount, 'NIC')} ${ranked.length === 1 ? 'qualifies' : 'qualify'} (${names})`;
  const all = [...ctx.excluded, ...rejected];
  const why = all.length === 0 ? '' : ` Not usable: ${describeReasons(all)}.`;
  return {
    code: 'too-few-nics',
    message:
      `too few NICs: strategy ${strategy} asked for ${asked}, but ${qualify}.${why}` +
      ' Ask for fewer NICs, relax the attach policy, or add NICs to the network.',
    notChosen: all,
  };
}
