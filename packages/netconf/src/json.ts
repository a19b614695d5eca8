/** A JSON value. */
export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };
export type JsonObject = { readonly [key: string]: Json };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A deep copy of a free-form JSON value with object keys sorted (code-unit order), so user-supplied objects
 * (`ipam`, unknown plugin fields) serialise the same way whatever order they were written in.
 * `undefined` members are dropped; non-JSON values (functions, bigint, NaN) are reported by `path`.
 */
export function canonicalJson(value: unknown, path = '$'): { ok: true; value: Json } | { ok: false; error: string } {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return { ok: true, value };
  if (typeof value === 'number') {
    return Number.isFinite(value)
      ? { ok: true, value }
      : { ok: false, error: `${path}: ${String(value)} is not a JSON number` };
  }
  if (Array.isArray(value)) {
    const out: Json[] = [];
    for (const [i, item] of value.entries()) {
      const converted = canonicalJson(item, `${path}[${i}]`);
      if (!converted.ok) return converted;
      out.push(converted.value);
    }
    return { ok: true, value: out };
  }
  if (isPlainObject(value)) {
    const out: Record<string, Json> = {};
    for (const key of Object.keys(value).sort()) {
      if (value[key] === undefined) continue;
      const converted = canonicalJson(value[key], `${path}.${key}`);
      if (!converted.ok) return converted;
      out[key] = converted.value;
    }
    return { ok: true, value: out };
  }
  return { ok: false, error: `${path}: a ${typeof value} is not JSON` };
}

/** Builds an object from `[key, value]` pairs in the given order, leaving out `undefined` values. */
export function ordered(entries: readonly (readonly [string, Json | undefined])[]): JsonObject {
  const out: Record<string, Json> = {};
  for (const [key, value] of entries) if (value !== undefined) out[key] = value;
  return out;
}
