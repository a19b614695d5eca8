// Reusable field schemas. Each carries the same rule twice: as a zod check (for the CLI, the controller and the
// agent) and, where the API server can check it, as a CEL rule or an OpenAPI keyword in the generated CRD.
import { z } from 'zod';
import { parseAddress, parsePrefix, formatPrefix } from '@multinic/cidr-core';

/** Longest textual IPv6 prefix (`ffff:…:ffff/128`, 45 with an embedded IPv4 tail) fits. */
export const MAX_CIDR_LENGTH = 49;
export const MAX_IP_LENGTH = 45;

export interface CelRule {
  readonly rule: string;
  readonly message: string;
  readonly reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  readonly fieldPath?: string;
}

/** Attaches CEL rules to a schema node (they end up in `x-kubernetes-validations`). */
export function withCel<T extends z.ZodType>(schema: T, rules: readonly CelRule[]): T {
  const existing = (schema.meta()?.['x-kubernetes-validations'] ?? []) as CelRule[];
  return schema.meta({ ...schema.meta(), 'x-kubernetes-validations': [...existing, ...rules].map((r) => ({ ...r })) });
}

export const CIDR_EXAMPLE = '10.0.1.0/24';

function cidrProblem(text: string): string | undefined {
  if (parsePrefix(text).ok) return undefined;
  const normalised = parsePrefix(text, { normalize: true });
  if (normalised.ok) return `has host bits set: use ${formatPrefix(normalised.value)}`;
  return `must be an IPv4 or IPv6 prefix such as ${CIDR_EXAMPLE}, not ${JSON.stringify(text)}`;
}

const CIDR_RULES: readonly CelRule[] = [
  { rule: 'isCIDR(self)', message: `must be an IPv4 or IPv6 prefix such as ${CIDR_EXAMPLE}` },
  {
    rule: '!isCIDR(self) || cidr(self) == cidr(self).masked()',
    message: 'has host bits set: use the network address of the prefix (for example 10.0.1.0/24, not 10.0.1.1/24)',
  },
];

/**
 * Options of the address fields. `cel: false` leaves the CEL rule out of the CRD (zod still checks): for fields deep
 * in large lists that only our controller writes, where the API server's CEL cost estimate would exceed its budget.
 */
export interface AddressFieldOptions {
  readonly cel?: boolean;
}

function maybeCel<T extends z.ZodType>(schema: T, rules: readonly CelRule[], options: AddressFieldOptions): T {
  return options.cel === false ? schema : withCel(schema, rules);
}

/** A network prefix (host bits must be zero), IPv4 or IPv6. */
export function cidrField(options: AddressFieldOptions = {}): z.ZodString {
  return maybeCel(
    z
      .string()
      .max(MAX_CIDR_LENGTH, { error: 'is too long for a prefix' })
      .superRefine((v, ctx) => {
        const problem = cidrProblem(v);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      }),
    CIDR_RULES,
    options,
  );
}

/** A network prefix, or the empty string (which means "none", e.g. host-subnet mode). */
export function optionalCidrField(emptyMeaning: string): z.ZodString {
  return withCel(
    z
      .string()
      .max(MAX_CIDR_LENGTH, { error: 'is too long for a prefix' })
      .superRefine((v, ctx) => {
        if (v === '') return;
        const problem = cidrProblem(v);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `${problem} (or "" for ${emptyMeaning})` });
      }),
    [
      {
        rule: "self == '' || isCIDR(self)",
        message: `must be an IPv4 or IPv6 prefix such as ${CIDR_EXAMPLE}, or "" for ${emptyMeaning}`,
      },
      {
        rule: "self == '' || !isCIDR(self) || cidr(self) == cidr(self).masked()",
        message: CIDR_RULES[1]?.message ?? '',
      },
    ],
  );
}

/** An interface address with its prefix length, as in CNI results: `192.168.0.5/18` (host bits allowed). */
export function interfaceCidrField(): z.ZodString {
  return withCel(
    z
      .string()
      .max(MAX_CIDR_LENGTH, { error: 'is too long for an address with prefix' })
      .superRefine((v, ctx) => {
        if (!parsePrefix(v, { normalize: true }).ok) {
          ctx.addIssue({
            code: 'custom',
            message: `must be an address with prefix length such as 192.168.0.5/18, not ${JSON.stringify(v)}`,
          });
        }
      }),
    [{ rule: 'isCIDR(self)', message: 'must be an address with prefix length such as 192.168.0.5/18' }],
  );
}

/** A single IPv4 or IPv6 address without prefix length. */
export function ipField(options: AddressFieldOptions = {}): z.ZodString {
  return maybeCel(
    z
      .string()
      .max(MAX_IP_LENGTH, { error: 'is too long for an IP address' })
      .superRefine((v, ctx) => {
        if (!parseAddress(v).ok) {
          ctx.addIssue({
            code: 'custom',
            message: `must be an IPv4 or IPv6 address such as 10.0.1.1 (no prefix length), not ${JSON.stringify(v)}`,
          });
        }
      }),
    [{ rule: 'isIP(self)', message: 'must be an IPv4 or IPv6 address such as 10.0.1.1 (no prefix length)' }],
    options,
  );
}

/** An IP address or the empty string ("no address"). */
export function optionalIpField(emptyMeaning: string): z.ZodString {
  return withCel(
    z
      .string()
      .max(MAX_IP_LENGTH, { error: 'is too long for an IP address' })
      .superRefine((v, ctx) => {
        if (v !== '' && !parseAddress(v).ok) {
          ctx.addIssue({
            code: 'custom',
            message: `must be an IPv4 or IPv6 address such as 10.0.1.1, or "" for ${emptyMeaning}; not ${JSON.stringify(v)}`,
          });
        }
      }),
    [
      {
        rule: "self == '' || isIP(self)",
        message: `must be an IPv4 or IPv6 address such as 10.0.1.1, or "" for ${emptyMeaning}`,
      },
    ],
  );
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** RFC 1123 label (namespace names, NetworkAttachmentDefinition names). */
export function dnsLabelField(what: string): z.ZodString {
  return z
    .string()
    .min(1, { error: `must not be empty (${what})` })
    .max(63, { error: `must be at most 63 characters (${what})` })
    .regex(DNS_LABEL, {
      error: `must be a DNS-1123 label (${what}): lower-case letters, digits and '-', starting and ending with a letter or digit`,
    });
}

/** RFC 1123 subdomain (object names, node names). */
export function dnsSubdomainField(what: string): z.ZodString {
  return z
    .string()
    .min(1, { error: `must not be empty (${what})` })
    .max(253, { error: `must be at most 253 characters (${what})` })
    .regex(DNS_SUBDOMAIN, { error: `must be a DNS-1123 subdomain (${what}): lower-case letters, digits, '-' and '.'` });
}

/** A Linux interface name: 1–15 bytes, not `.`/`..`, no `/`, `:` or whitespace. */
export function ifNameField(): z.ZodString {
  return z
    .string()
    .min(1, { error: 'must not be empty (an interface name such as eth1)' })
    .max(15, { error: 'must be at most 15 characters (a Linux interface name)' })
    .regex(/^[^\s/:]+$/, { error: "must be a Linux interface name: no '/', ':' or whitespace" })
    .refine((v) => v !== '.' && v !== '..', { error: "must be a Linux interface name, not '.' or '..'" });
}

/** A 6-byte Ethernet or 20-byte IP-over-InfiniBand hardware address, colon-separated hex. */
export function macField(): z.ZodString {
  return z
    .string()
    .max(59)
    .regex(/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$|^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){19}$/, {
      error: 'must be a MAC address such as 02:42:ac:11:00:02 (6 bytes, or 20 bytes for InfiniBand)',
    });
}

/** A PCI address in `domain:bus:device.function` form, e.g. `0000:3b:00.1`. */
export function pciAddressField(): z.ZodString {
  return z
    .string()
    .max(12)
    .regex(/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/, {
      error: 'must be a PCI address such as 0000:3b:00.1 (lower-case hex)',
    });
}

/** A PCI vendor or device id: four lower-case hex digits without `0x`, e.g. `15b3`. */
export function pciIdField(what: string): z.ZodString {
  return z
    .string()
    .max(4)
    .regex(/^[0-9a-f]{4}$/, { error: `must be a PCI ${what} id of 4 lower-case hex digits such as 15b3 (without 0x)` });
}

/** An integer in [min, max] with one message for every way of missing it. */
export function intField(options: { min: number; max: number; what?: string }): z.ZodNumber {
  const message = `must be an integer from ${options.min} to ${options.max}${options.what === undefined ? '' : ` (${options.what})`}`;
  return z
    .number({ error: (issue) => (issue.input === undefined ? 'is required' : message) })
    .int({ error: message })
    .min(options.min, { error: message })
    .max(options.max, { error: message });
}

/** A list with an upper bound (keeps CEL rule cost within the API server's budget) and a clear message. */
export function listField<T extends z.ZodType>(
  item: T,
  options: { max: number; what: string; min?: number },
): z.ZodArray<T> {
  const list = z.array(item).max(options.max, { error: `must have at most ${options.max} ${options.what}` });
  return options.min === undefined
    ? list
    : list.min(options.min, { error: `must have at least ${options.min} ${options.what}` });
}

/** A free-form JSON object (kept as is, `x-kubernetes-preserve-unknown-fields` in the CRD). */
export function freeFormObject(description: string): z.ZodRecord<z.ZodString, z.ZodUnknown> {
  return z.record(z.string(), z.unknown()).meta({ description, 'x-kubernetes-preserve-unknown-fields': true });
}
