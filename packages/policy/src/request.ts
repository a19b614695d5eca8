// Multus `cni-args` → PodNicRequest. The CNI plugins pass the attachment's cni-args through untouched; the agent
// turns them into policy input here, so there is one reading of `nics`, `masters`/`master`, `target` and `class`.
import type { PodNicRequest } from './types.js';

/** A cni-arg that cannot be read: `field` is the cni-args key (`nics`, `masters`, `target`, `class`). */
export interface CniArgsProblem {
  readonly field: string;
  /** Says what the value must be and what it was. */
  readonly message: string;
}

export type PodNicRequestResult =
  { readonly ok: true; readonly value: PodNicRequest } | { readonly ok: false; readonly error: CniArgsProblem };

type MutableRequest = { -readonly [K in keyof PodNicRequest]: PodNicRequest[K] };

function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string')
    return value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  return undefined;
}

function bad(field: string, message: string): PodNicRequestResult {
  return { ok: false, error: { field, message } };
}

function nicsArg(value: unknown): { ok: true; value: number | undefined } | { ok: false; message: string } {
  if (value === undefined) return { ok: true, value: undefined };
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1)
    return { ok: false, message: `must be a positive whole number of NICs, got ${JSON.stringify(value)}` };
  return { ok: true, value: n };
}

/** Multus `cni-args` (`nics`, `masters`/`master`, `target`, `class`) and device-plugin ids → PodNicRequest. */
export function podNicRequest(
  cniArgs: Readonly<Record<string, unknown>> | undefined,
  deviceIDs: readonly string[] | undefined,
): PodNicRequestResult {
  const args = cniArgs ?? {};
  const out: MutableRequest = {};
  const nics = nicsArg(args['nics']);
  if (!nics.ok) return bad('nics', nics.message);
  if (nics.value !== undefined) out.nics = nics.value;
  const mastersValue = args['masters'] ?? args['master'];
  if (mastersValue !== undefined) {
    const masters = stringList(mastersValue);
    if (masters === undefined)
      return bad(
        'masters',
        `must be a list of interface names or a comma-separated string, got ${JSON.stringify(mastersValue)}`,
      );
    out.masters = masters;
  }
  for (const key of ['target', 'class'] as const) {
    const value = args[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') return bad(key, `must be a string, got ${JSON.stringify(value)}`);
    out[key] = value;
  }
  if (deviceIDs !== undefined && deviceIDs.length > 0) out.allocatedPciAddresses = deviceIDs;
  return { ok: true, value: out };
}
