// Address ranges that can never be a pod subnet: a pod address there is unroutable, shadows the node's own
// networking inside the pod (0.0.0.0/1 as a connected route hides half of IPv4), or is not unicast at all. The same
// list is checked twice, as zod (CLI, controller) and as CEL in the CRD (the API server refuses before we see it).
import { parsePrefix, prefixesOverlap, type IpPrefix } from '@multinic/cidr-core';
import type { CelRule } from './fields.js';

/** The special-purpose ranges a subnet must not overlap, with what they are. */
export const RESERVED_SUBNETS: readonly { readonly prefix: string; readonly what: string }[] = [
  { prefix: '0.0.0.0/8', what: '"this network" (RFC 1122)' },
  { prefix: '127.0.0.0/8', what: 'loopback' },
  { prefix: '169.254.0.0/16', what: 'link-local' },
  { prefix: '224.0.0.0/4', what: 'multicast' },
  { prefix: '240.0.0.0/4', what: 'reserved for future use, and the broadcast address' },
  { prefix: '::/8', what: 'reserved by the IETF (unspecified, loopback, IPv4-mapped)' },
  { prefix: 'fe80::/10', what: 'link-local' },
  { prefix: 'ff00::/8', what: 'multicast' },
];

const PARSED: readonly { readonly prefix: IpPrefix; readonly text: string; readonly what: string }[] =
  RESERVED_SUBNETS.map((r) => {
    const parsed = parsePrefix(r.prefix);
    if (!parsed.ok) throw new Error(`bad reserved prefix ${r.prefix}`);
    return { prefix: parsed.value, text: r.prefix, what: r.what };
  });

function message(text: string, what: string): string {
  return `overlaps ${text} (${what}), which can never hold pod addresses: choose a private range such as 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or fd00::/8`;
}

/** The problem with a subnet that overlaps a reserved range, or undefined (also for text that is no prefix). */
export function reservedSubnetProblem(text: string): string | undefined {
  const parsed = parsePrefix(text);
  if (!parsed.ok) return undefined;
  const hit = PARSED.find((r) => prefixesOverlap(r.prefix, parsed.value));
  return hit === undefined ? undefined : message(hit.text, hit.what);
}

/** The same check as CEL rules, one per range so the API server's message names it; '' and non-prefixes pass here. */
export const RESERVED_SUBNET_RULES: readonly CelRule[] = PARSED.map((r) => ({
  rule:
    `self == '' || !isCIDR(self) || cidr(self).ip().family() != ${r.prefix.family} || ` +
    `!(cidr('${r.text}').containsCIDR(self) || cidr(self).containsCIDR('${r.text}'))`,
  message: message(r.text, r.what),
}));
