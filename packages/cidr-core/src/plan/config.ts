// Validation of a PlanConfig. Any problem here is fatal: a plan computed from a half-understood
// configuration (a skipped exclude, a shifted masterNets list) could hand out addresses it must not.
import { familyBits, formatPrefix, parsePrefix } from '../address.js';
import type { IpPrefix } from '../address.js';
import type { PlanConfig, PlanProblem } from './types.js';

/** Largest block width accepted: indexes stay exact JavaScript numbers. */
export const MAX_BLOCK_BITS = 52;

export interface ParsedConfig {
  /** undefined in host-subnet mode. */
  readonly subnet: IpPrefix | undefined;
  readonly interfaceBits: number;
  /** undefined only in host-subnet mode without a hostBlock: each network takes `defaultHostBlock`. */
  readonly hostBits: number | undefined;
  /** Canonical masterNets in the given order, without repeats. */
  readonly masterNets: readonly string[];
  readonly excludes: readonly IpPrefix[];
}

/** Smallest pod block that still has an address to hand out: /30 for IPv4, /127 for IPv6. */
export function minPodBits(prefix: IpPrefix): number {
  return prefix.family === 4 ? 2 : 1;
}

/** Largest default hostBlock in host-subnet mode: 65,536 hosts per NIC network. */
export const MAX_DEFAULT_HOST_BLOCK = 16;

/**
 * The hostBlock host-subnet mode uses for a NIC network when the config sets none: half the network's address
 * bits, rounded down, at most 16. A /24 gives 16 blocks of /28, a /16 256 blocks of /24, a /64 65,536 of /80.
 */
export function defaultHostBlock(network: IpPrefix): number {
  return Math.min(MAX_DEFAULT_HOST_BLOCK, Math.floor((familyBits(network.family) - network.length) / 2));
}

function checkBlock(name: 'interfaceBlock' | 'hostBlock', value: unknown, problems: PlanProblem[]): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_BLOCK_BITS) return value;
  const missing = value === undefined ? ' (it may be left out only in host-subnet mode, subnet "")' : '';
  problems.push({
    code: 'INVALID_BLOCK_BITS',
    reason: `config.${name} must be an integer from 0 to ${MAX_BLOCK_BITS} (got ${String(value)})${missing}; nothing was planned`,
  });
  return 0;
}

function parseList(field: 'masterNets' | 'excludeCIDRs', texts: unknown, problems: PlanProblem[]): IpPrefix[] {
  if (texts === undefined) return [];
  if (!Array.isArray(texts)) {
    problems.push({
      code: 'INVALID_CIDR',
      reason: `config.${field} must be a list of CIDR strings; nothing was planned`,
    });
    return [];
  }
  const prefixes: IpPrefix[] = [];
  texts.forEach((text: unknown, i) => {
    const parsed = parsePrefix(String(text));
    if (parsed.ok) prefixes.push(parsed.value);
    else
      problems.push({
        code: 'INVALID_CIDR',
        reason: `config.${field}[${i}]: ${parsed.error}; fix it, nothing was planned`,
      });
  });
  return prefixes;
}

function parseSubnet(text: unknown, problems: PlanProblem[]): IpPrefix | undefined {
  if (text === '' || text === undefined) return undefined;
  const parsed = parsePrefix(String(text));
  if (parsed.ok) return parsed.value;
  problems.push({
    code: 'INVALID_CIDR',
    reason: `config.subnet: ${parsed.error}; or leave it empty for host-subnet mode. Nothing was planned`,
  });
  return undefined;
}

/** What to change when the blocks do not fit: the field to lower and by how much, or a larger subnet. */
function fitFix(config: ParsedConfig, subnet: IpPrefix, maxPod: number): string {
  const room = maxPod - subnet.length;
  const hostRoom = room - config.interfaceBits;
  if (room < 0) return `use a subnet of at most /${maxPod}`;
  if (hostRoom >= 0)
    return `lower config.hostBlock to at most ${hostRoom} (or config.interfaceBlock), or use a larger subnet`;
  return `lower config.interfaceBlock to at most ${room} and config.hostBlock to 0, or use a larger subnet`;
}

function checkFit(config: ParsedConfig, problems: PlanProblem[]): void {
  const subnet = config.subnet;
  if (subnet === undefined) return;
  const maxPod = familyBits(subnet.family) - minPodBits(subnet);
  const podLength = subnet.length + config.interfaceBits + (config.hostBits ?? 0);
  if (podLength > maxPod) {
    problems.push({
      code: 'NO_ROOM_FOR_PODS',
      reason:
        `config: subnet ${formatPrefix(subnet)} split by interfaceBlock ${config.interfaceBits} and hostBlock ` +
        `${config.hostBits} gives /${podLength} pod blocks, which leave no address for pods (at most ` +
        `/${maxPod}); ${fitFix(config, subnet, maxPod)}. Nothing was planned`,
    });
  }
}

/** Parses and checks a PlanConfig; `parsed` is undefined when anything is wrong. */
export function parseConfig(config: PlanConfig): { parsed: ParsedConfig | undefined; problems: PlanProblem[] } {
  const problems: PlanProblem[] = [];
  const subnet = parseSubnet(config.subnet, problems);
  const interfaceBits = checkBlock('interfaceBlock', config.interfaceBlock, problems);
  const hostBits =
    (config.subnet === '' || config.subnet === undefined) && config.hostBlock === undefined
      ? undefined
      : checkBlock('hostBlock', config.hostBlock, problems);
  const masterNets = [...new Set(parseList('masterNets', config.masterNets, problems).map(formatPrefix))];
  const excludes = parseList('excludeCIDRs', config.excludeCIDRs, problems);
  const parsed: ParsedConfig = { subnet, interfaceBits, hostBits, masterNets, excludes };
  checkFit(parsed, problems);
  return { parsed: problems.length === 0 ? parsed : undefined, problems };
}
