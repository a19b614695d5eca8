// zod's JSON Schema → a Kubernetes *structural* OpenAPI v3 schema (apiextensions.k8s.io/v1).
// Structural means: every node has a `type` (or int-or-string / preserve-unknown-fields), no $ref, no anyOf/oneOf
// that introduces types, `properties` and `additionalProperties` never together, no `additionalProperties: false`.
export type JsonObject = { [key: string]: unknown };

/** Keywords copied as they are. */
const KEEP = new Set([
  'type',
  'description',
  'enum',
  'default',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'required',
  'nullable',
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
]);
/** Keywords dropped on purpose (JSON Schema bookkeeping, or checks the API server does not do the same way). */
const DROP = new Set([
  '$schema',
  '$id',
  'id',
  'title',
  'format',
  'examples',
  'readOnly',
  'writeOnly',
  'x-multinic-crd',
]);
const HANDLED = new Set(['properties', 'items', 'additionalProperties', 'const', 'anyOf', 'oneOf']);

/** Go's RE2 (used for `pattern`) has no look-around and no back-references. */
const NON_RE2 = /\(\?[=!<]|\\[1-9]/;

export interface StructuralResult {
  readonly schema: JsonObject;
  readonly problems: readonly string[];
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEmptySchema(value: unknown): boolean {
  return isObject(value) && Object.keys(value).length === 0;
}

class Converter {
  readonly problems: string[] = [];

  convert(node: JsonObject, path: string): JsonObject {
    if (node['x-multinic-crd'] === 'string-or-object') return this.stringOrObject(node);
    if (Array.isArray(node['anyOf']) || Array.isArray(node['oneOf'])) return this.union(node, path);
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(node)) {
      if (KEEP.has(key)) out[key] = value;
      else if (key === 'const') out['enum'] = [value];
      else if (!DROP.has(key) && !HANDLED.has(key))
        this.problems.push(`${path}: unsupported JSON Schema keyword "${key}"`);
    }
    this.children(node, out, path);
    this.check(out, path);
    return out;
  }

  private children(node: JsonObject, out: JsonObject, path: string): void {
    const props = node['properties'];
    if (isObject(props)) {
      out['properties'] = Object.fromEntries(
        Object.entries(props).map(([k, v]) => [k, this.convert(isObject(v) ? v : {}, `${path}.${k}`)]),
      );
    }
    if (isObject(node['items'])) out['items'] = this.convert(node['items'], `${path}[]`);
    else if (node['items'] !== undefined) this.problems.push(`${path}: tuple "items" is not structural`);
    this.additional(node, out, path);
  }

  private additional(node: JsonObject, out: JsonObject, path: string): void {
    const extra = node['additionalProperties'];
    if (extra === undefined || extra === false) return;
    const free = extra === true || isEmptySchema(extra);
    if (isObject(node['properties']) || free) {
      // A loose object, or a map of anything: keep unknown fields instead of pruning them.
      if (free) out['x-kubernetes-preserve-unknown-fields'] = true;
      else this.problems.push(`${path}: "properties" and a typed "additionalProperties" cannot be combined`);
      return;
    }
    if (isObject(extra)) out['additionalProperties'] = this.convert(extra, `${path}.*`);
  }

  private stringOrObject(node: JsonObject): JsonObject {
    const out: JsonObject = { 'x-kubernetes-preserve-unknown-fields': true };
    if (typeof node['description'] === 'string') out['description'] = node['description'];
    return out;
  }

  private union(node: JsonObject, path: string): JsonObject {
    const branches = ((node['anyOf'] ?? node['oneOf']) as unknown[]).filter(isObject);
    const nonNull = branches.filter((b) => b['type'] !== 'null');
    const types = new Set(nonNull.map((b) => b['type']));
    const enumOnly = nonNull.every((b) => Array.isArray(b['enum']) || 'const' in b);
    if (types.size === 1 && enumOnly) {
      const values = nonNull.flatMap((b) => (Array.isArray(b['enum']) ? (b['enum'] as unknown[]) : [b['const']]));
      const rest = Object.fromEntries(Object.entries(node).filter(([k]) => k !== 'anyOf' && k !== 'oneOf'));
      return this.convert(
        { ...rest, type: [...types][0], enum: values, ...(nonNull.length < branches.length ? { nullable: true } : {}) },
        path,
      );
    }
    if (nonNull.length === 1 && nonNull[0] !== undefined) {
      const rest = Object.fromEntries(Object.entries(node).filter(([k]) => k !== 'anyOf' && k !== 'oneOf'));
      return this.convert({ ...nonNull[0], ...rest, nullable: true }, path);
    }
    this.problems.push(
      `${path}: a union of different types is not structural; mark it string-or-object or restructure it`,
    );
    return { 'x-kubernetes-preserve-unknown-fields': true };
  }

  private check(out: JsonObject, path: string): void {
    const typed =
      typeof out['type'] === 'string' ||
      out['x-kubernetes-int-or-string'] === true ||
      out['x-kubernetes-preserve-unknown-fields'] === true;
    if (!typed) this.problems.push(`${path}: has no type`);
    if (out['type'] === 'array' && !isObject(out['items'])) this.problems.push(`${path}: an array needs "items"`);
    if (typeof out['pattern'] === 'string' && NON_RE2.test(out['pattern']))
      this.problems.push(`${path}: pattern uses look-around or back-references, which the API server's RE2 cannot run`);
  }
}

/** Converts one JSON Schema node (as produced by `z.toJSONSchema`) to a structural schema; problems name the path. */
export function toStructuralSchema(jsonSchema: JsonObject, rootPath = ''): StructuralResult {
  const converter = new Converter();
  const schema = converter.convert(jsonSchema, rootPath);
  return { schema, problems: converter.problems };
}
