import type { PolicyResult } from './types.js';

const BANDWIDTH = /^(\d+(?:\.\d+)?)\s*([kKmMgGtT])(?:bps|bit\/s|b\/s)?$/;
const MBPS_PER_UNIT: Readonly<Record<string, number>> = { k: 0.001, m: 1, g: 1000, t: 1_000_000 };

/**
 * Parses a bandwidth such as `200Gbps`, `100G`, `25000Mbps`, `2.5Gbit/s` into megabits per second.
 * Units are decimal (1G = 1000M) and bits, never bytes; a unit is required.
 */
export function parseBandwidth(text: string): PolicyResult<number> {
  const match = BANDWIDTH.exec(text.trim());
  const unit = match?.[2]?.toLowerCase();
  const factor = unit === undefined ? undefined : MBPS_PER_UNIT[unit];
  if (match === null || factor === undefined) {
    return invalid(text, 'write a number and a bit-rate unit, e.g. "200Gbps", "100G" or "25000Mbps"');
  }
  const value = Number(match[1]) * factor;
  if (!(value > 0)) return invalid(text, 'the target must be greater than zero');
  return { ok: true, value };
}

function invalid(text: string, hint: string): PolicyResult<number> {
  return {
    ok: false,
    error: { code: 'invalid-argument', message: `target ${JSON.stringify(text)} is not a bandwidth: ${hint}` },
  };
}

/** `200000` → `200Gbps`, `25000` → `25Gbps`, `1500` → `1500Mbps`: for messages. */
export function formatMbps(mbps: number): string {
  if (mbps >= 1000 && mbps % 1000 === 0) return `${mbps / 1000}Gbps`;
  return `${mbps}Mbps`;
}
