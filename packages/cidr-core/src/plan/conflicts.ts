// One address, one holder, per L2 domain: two networks whose pod ranges overlap must not both hand out addresses
// on the same NIC network, or two pods on one bridge get the same address. This decides, for a set of networks,
// which of them may be planned and which are refused, and why. Pure and order-independent: the same claims give the
// same answer in any order, so every controller replica agrees.
import { formatPrefix, parsePrefix, type IpPrefix } from '../address.js';
import { prefixesOverlap } from '../prefix.js';

/** What a network claims: its pod range on its master networks. */
export interface NetworkClaim {
  readonly name: string;
  /** The pod subnet; '' means host-subnet mode (pods take addresses from the master networks themselves). */
  readonly subnet: string;
  /** The NIC networks the pods attach to; empty means every NIC network seen on the hosts. */
  readonly masterNets: readonly string[];
  /** True when the network's plan is in use (it has planned hosts): it keeps its addresses over a newer claim. */
  readonly inUse: boolean;
  /** Creation time as RFC 3339 text (its order is time order); the older claim wins between equals. */
  readonly createdAt: string;
}

/** A refused network: the admitted network it collides with, and where. */
export interface NetworkConflict {
  readonly network: string;
  readonly with: string;
  /** The overlapping pod ranges (this network's, the other's). */
  readonly ranges: readonly [string, string];
  /** The shared master network, or undefined when one side names none (it attaches to every NIC network). */
  readonly masterNet: string | undefined;
  readonly message: string;
}

interface ParsedClaim {
  readonly claim: NetworkClaim;
  /** undefined: every NIC network. */
  readonly masters: readonly IpPrefix[] | undefined;
  /** 'any': host-subnet mode with no master network named, which may take the addresses of any NIC network. */
  readonly ranges: readonly IpPrefix[] | 'any';
}

function parseAll(texts: readonly string[]): IpPrefix[] | undefined {
  const out: IpPrefix[] = [];
  for (const text of texts) {
    const parsed = parsePrefix(text, { normalize: true });
    if (!parsed.ok) return undefined;
    out.push(parsed.value);
  }
  return out;
}

/** undefined when the claim cannot be read: such a network is refused for its spec, not here. */
function parseClaim(claim: NetworkClaim): ParsedClaim | undefined {
  const masters = parseAll(claim.masterNets);
  if (masters === undefined) return undefined;
  if (claim.subnet === '') {
    // Host-subnet mode hands out the master networks' own addresses; with no master network named, any of them.
    return masters.length === 0 ? { claim, masters: undefined, ranges: 'any' } : { claim, masters, ranges: masters };
  }
  const subnet = parseAll([claim.subnet]);
  return subnet === undefined
    ? undefined
    : { claim, masters: masters.length === 0 ? undefined : masters, ranges: subnet };
}

/** The first master network both attach to: a prefix, `null` when one side attaches to every NIC network, or undefined. */
function sharedMaster(a: ParsedClaim, b: ParsedClaim): IpPrefix | null | undefined {
  if (a.masters === undefined || b.masters === undefined) return null;
  for (const x of a.masters) for (const y of b.masters) if (prefixesOverlap(x, y)) return x.length >= y.length ? x : y;
  return undefined;
}

const ANY_TEXT = "every NIC network's own addresses";

/**
 * A side's pod ranges as seen against the other side. Host-subnet mode with no master network takes the addresses
 * of the NIC networks it shares with the other side: the other's master networks when it names some; when neither
 * names any, both take every NIC network's own addresses ('any'); against a subnet network attached everywhere
 * nothing is known without the hosts, and no conflict is claimed.
 */
function rangesOf(side: ParsedClaim, other: ParsedClaim): readonly IpPrefix[] | 'any' {
  if (side.ranges !== 'any') return side.ranges;
  return other.masters ?? (other.ranges === 'any' ? 'any' : []);
}

/** The first pair of overlapping pod ranges, as text. */
function overlapping(a: ParsedClaim, b: ParsedClaim): [string, string] | undefined {
  const mine = rangesOf(a, b);
  const theirs = rangesOf(b, a);
  if (mine === 'any' || theirs === 'any') return mine === theirs ? [ANY_TEXT, ANY_TEXT] : undefined;
  for (const x of mine) for (const y of theirs) if (prefixesOverlap(x, y)) return [formatPrefix(x), formatPrefix(y)];
  return undefined;
}

/** Precedence: a network in use first, then the older, then by name. */
function byPrecedence(a: ParsedClaim, b: ParsedClaim): number {
  if (a.claim.inUse !== b.claim.inUse) return a.claim.inUse ? -1 : 1;
  if (a.claim.createdAt !== b.claim.createdAt) return a.claim.createdAt < b.claim.createdAt ? -1 : 1;
  return a.claim.name < b.claim.name ? -1 : a.claim.name > b.claim.name ? 1 : 0;
}

function conflictOf(refused: ParsedClaim, admitted: ParsedClaim): NetworkConflict | undefined {
  const master = sharedMaster(refused, admitted);
  if (master === undefined) return undefined;
  const ranges = overlapping(refused, admitted);
  if (ranges === undefined) return undefined;
  const [mine, theirs] = ranges;
  const where =
    master === null
      ? 'on every NIC network (one of them names no masterNets)'
      : `on master network ${formatPrefix(master)}`;
  return {
    network: refused.claim.name,
    with: admitted.claim.name,
    ranges: [mine, theirs],
    masterNet: master === null ? undefined : formatPrefix(master),
    message:
      `pod range ${mine} overlaps ${theirs} of MultiNicNetwork ${admitted.claim.name} ${where}, so both would hand out ` +
      `the same addresses to pods on one L2 network; ${admitted.claim.name} keeps them (it is ${admitted.claim.inUse ? 'in use' : 'older'}): ` +
      'choose a subnet that does not overlap, or other masterNets',
  };
}

/**
 * Which networks are refused because their pod range overlaps that of a network admitted before them on a shared
 * master network. Networks are admitted in precedence order (in use, older, name); a refused network blocks no one.
 * Claims that cannot be parsed are ignored here (their spec is invalid and reported as such).
 */
export function networkConflicts(claims: readonly NetworkClaim[]): Map<string, NetworkConflict> {
  const parsed = claims
    .map(parseClaim)
    .filter((c): c is ParsedClaim => c !== undefined)
    .sort(byPrecedence);
  const admitted: ParsedClaim[] = [];
  const refused = new Map<string, NetworkConflict>();
  for (const claim of parsed) {
    let conflict: NetworkConflict | undefined;
    for (const other of admitted) {
      conflict = conflictOf(claim, other);
      if (conflict !== undefined) break;
    }
    if (conflict === undefined) admitted.push(claim);
    else refused.set(claim.claim.name, conflict);
  }
  return refused;
}
