// A static checker for the rules kube-apiserver applies to CRD schemas (structural schemas, CEL cost inputs,
// metadata restrictions), run over every generated CRD; and unit tests of the converter on bad input.
import { describe, expect, it } from '@jest/globals';
import { generateCrds, toStructuralSchema } from '@multinic/crd-types';
import type { CustomResourceDefinition, JsonObject } from '@multinic/crd-types';
import { RESERVED_SUBNETS } from '../src/reserved.js';

type Node = JsonObject;

const ALLOWED_KEYS = new Set([
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
  'properties',
  'items',
  'additionalProperties',
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
]);
const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);
const CEL_ON_STRING_NEEDS_MAXLENGTH = /\b(isCIDR|cidr|isIP|ip|matches|size)\(/;

interface Finding {
  path: string;
  problem: string;
}

function checkValidations(node: Node, path: string, out: Finding[]): void {
  const rules = node['x-kubernetes-validations'];
  if (rules === undefined) return;
  if (!Array.isArray(rules)) return void out.push({ path, problem: 'x-kubernetes-validations must be a list' });
  if (node['type'] === undefined && node['x-kubernetes-int-or-string'] !== true) {
    out.push({ path, problem: 'CEL rules need a typed node (the API server has no CEL type for an untyped one)' });
  }
  for (const rule of rules as Node[]) {
    if (typeof rule['rule'] !== 'string' || rule['rule'] === '')
      out.push({ path, problem: 'a CEL rule without rule text' });
    if (typeof rule['message'] !== 'string' || (rule['message'] as string).length < 10)
      out.push({ path, problem: `rule ${String(rule['rule'])} needs a message a user understands` });
    if (
      node['type'] === 'string' &&
      CEL_ON_STRING_NEEDS_MAXLENGTH.test(String(rule['rule'])) &&
      typeof node['maxLength'] !== 'number'
    ) {
      out.push({ path, problem: 'a string with CEL rules needs maxLength (CEL cost budget)' });
    }
  }
}

function checkListType(node: Node, path: string, out: Finding[]): void {
  const listType = node['x-kubernetes-list-type'];
  if (listType === undefined) return;
  if (node['type'] !== 'array') out.push({ path, problem: 'x-kubernetes-list-type on a non-array' });
  if (listType === 'map') {
    const keys = node['x-kubernetes-list-map-keys'];
    const items = node['items'] as Node | undefined;
    const required = new Set((items?.['required'] as string[] | undefined) ?? []);
    if (!Array.isArray(keys) || keys.length === 0)
      out.push({ path, problem: 'a map list needs x-kubernetes-list-map-keys' });
    else
      for (const k of keys as string[])
        if (!required.has(k)) out.push({ path, problem: `list-map key ${k} must be a required field of the items` });
  }
  if (listType === 'set' && (node['items'] as Node | undefined)?.['type'] === 'object')
    out.push({ path, problem: 'a set list must hold scalars' });
}

function checkNode(node: Node, path: string, out: Finding[]): void {
  for (const key of Object.keys(node))
    if (!ALLOWED_KEYS.has(key)) out.push({ path, problem: `keyword ${key} is not allowed` });
  const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
  const intOrString = node['x-kubernetes-int-or-string'] === true;
  if (node['type'] === undefined && !preserve && !intOrString) out.push({ path, problem: 'no type' });
  if (node['type'] !== undefined && !TYPES.has(node['type'] as string))
    out.push({ path, problem: `unknown type ${String(node['type'])}` });
  if (node['properties'] !== undefined && node['additionalProperties'] !== undefined)
    out.push({ path, problem: 'properties together with additionalProperties' });
  if (node['additionalProperties'] === false) out.push({ path, problem: 'additionalProperties: false' });
  if (node['type'] === 'array' && node['items'] === undefined) out.push({ path, problem: 'array without items' });
  if ((node['properties'] !== undefined || node['additionalProperties'] !== undefined) && node['type'] !== 'object')
    out.push({ path, problem: 'properties on a non-object' });
  for (const req of (node['required'] as string[] | undefined) ?? []) {
    if (!Object.hasOwn((node['properties'] as Node | undefined) ?? {}, req))
      out.push({ path, problem: `required field ${req} is not a property` });
  }
  if (typeof node['pattern'] === 'string') {
    if (/\(\?[=!<]|\\[1-9]/.test(node['pattern'])) out.push({ path, problem: 'pattern not RE2-compatible' });
    new RegExp(node['pattern']); // throws on an invalid pattern
  }
  checkValidations(node, path, out);
  checkListType(node, path, out);
  for (const [k, child] of Object.entries((node['properties'] as Record<string, Node> | undefined) ?? {}))
    checkNode(child, `${path}.${k}`, out);
  if (typeof node['items'] === 'object' && node['items'] !== null) checkNode(node['items'] as Node, `${path}[]`, out);
  if (typeof node['additionalProperties'] === 'object' && node['additionalProperties'] !== null)
    checkNode(node['additionalProperties'] as Node, `${path}.*`, out);
}

// kube-apiserver estimates each rule's cost × how often it can run (the product of the maxItems above it) and
// refuses a CRD past 10^7 per rule or 10^8 in total; an unbounded list above a rule counts as huge. We assume a
// pessimistic 100 cost units per evaluation of our (short-string) rules.
const COST_PER_EVALUATION = 100;
const PER_RULE_LIMIT = 10_000_000;
const PER_CRD_LIMIT = 100_000_000;

function celCost(node: Node, path: string, cardinality: number, out: { total: number; findings: Finding[] }): void {
  const rules = (node['x-kubernetes-validations'] as Node[] | undefined) ?? [];
  for (const rule of rules) {
    const cost = cardinality * COST_PER_EVALUATION;
    out.total += cost;
    if (!Number.isFinite(cost))
      out.findings.push({ path, problem: `rule ${String(rule['rule'])} sits under a list without maxItems` });
    else if (cost > PER_RULE_LIMIT)
      out.findings.push({
        path,
        problem: `rule ${String(rule['rule'])} may run ${cardinality} times: over the per-rule cost limit`,
      });
  }
  for (const [k, child] of Object.entries((node['properties'] as Record<string, Node> | undefined) ?? {}))
    celCost(child, `${path}.${k}`, cardinality, out);
  if (typeof node['items'] === 'object' && node['items'] !== null) {
    const max = typeof node['maxItems'] === 'number' ? node['maxItems'] : Number.POSITIVE_INFINITY;
    celCost(node['items'] as Node, `${path}[]`, cardinality * max, out);
  }
  if (typeof node['additionalProperties'] === 'object' && node['additionalProperties'] !== null) {
    const max = typeof node['maxProperties'] === 'number' ? node['maxProperties'] : Number.POSITIVE_INFINITY;
    celCost(node['additionalProperties'] as Node, `${path}.*`, cardinality * max, out);
  }
}

function versionOf(crd: CustomResourceDefinition): Node {
  return ((crd.spec['versions'] as Node[])[0] ?? {}) as Node;
}

function rootOf(crd: CustomResourceDefinition): Node {
  return (versionOf(crd)['schema'] as Node)['openAPIV3Schema'] as Node;
}

const { crds } = generateCrds();

describe.each(crds.map((crd) => ({ name: crd.metadata.name, crd })))('$name', ({ crd }) => {
  it('is structural', () => {
    const findings: Finding[] = [];
    checkNode(rootOf(crd), '', findings);
    expect(findings).toEqual([]);
  });

  it('keeps the estimated CEL cost within the API server budget', () => {
    const out = { total: 0, findings: [] as Finding[] };
    celCost(rootOf(crd), '', 1, out);
    expect(out.findings).toEqual([]);
    expect(out.total).toBeLessThanOrEqual(PER_CRD_LIMIT);
  });

  it('keeps metadata to {type: object} and requires spec', () => {
    const root = rootOf(crd);
    const props = root['properties'] as Record<string, Node>;
    expect(props['metadata']).toEqual({ type: 'object' });
    expect(root['required']).toEqual(['spec']);
    expect(props['apiVersion']?.['type']).toBe('string');
    expect(props['kind']?.['type']).toBe('string');
  });

  it('is cluster-scoped, in the multinic category, with short names', () => {
    const names = crd.spec['names'] as Node;
    expect(crd.spec['scope']).toBe('Cluster');
    expect(crd.spec['group']).toBe('multinic.dev');
    expect(names['categories']).toEqual(['multinic']);
    expect((names['shortNames'] as string[]).length).toBeGreaterThan(0);
    expect(crd.metadata.name).toBe(`${String(names['plural'])}.multinic.dev`);
  });

  it('has a status subresource exactly when it has a status', () => {
    const hasStatus = (rootOf(crd)['properties'] as Node)['status'] !== undefined;
    expect(versionOf(crd)['subresources']).toEqual(hasStatus ? { status: {} } : undefined);
  });

  it('printer columns point at schema fields', () => {
    for (const column of versionOf(crd)['additionalPrinterColumns'] as Node[]) {
      const jsonPath = String(column['jsonPath']);
      if (jsonPath.startsWith('.metadata.')) continue;
      let node: Node | undefined = rootOf(crd);
      for (const part of jsonPath
        .slice(1)
        .replace(/\[\?\(.*?\)\]/g, '')
        .split('.')) {
        node = node?.['type'] === 'array' ? (node['items'] as Node) : node;
        node = (node?.['properties'] as Record<string, Node> | undefined)?.[part];
      }
      expect({ jsonPath, found: node !== undefined }).toEqual({ jsonPath, found: true });
    }
  });
});

describe('MultiNicNetwork CRD specifics', () => {
  const crd = crds.find(
    (c) => c.spec['names'] !== undefined && (c.spec['names'] as Node)['kind'] === 'MultiNicNetwork',
  );
  const spec = ((rootOf(crd as CustomResourceDefinition)['properties'] as Record<string, Node>)['spec'] ?? {}) as Node;
  const field = (name: string): Node => ((spec['properties'] as Record<string, Node>)[name] ?? {}) as Node;

  it('ipam accepts a string or an object: untyped, unknown fields preserved, no CEL on it', () => {
    expect(field('ipam')['x-kubernetes-preserve-unknown-fields']).toBe(true);
    expect(field('ipam')['type']).toBeUndefined();
    expect(field('ipam')['x-kubernetes-validations']).toBeUndefined();
  });

  it('subnet is checked with the CEL network library, refuses the reserved ranges and is immutable', () => {
    const rules = (field('subnet')['x-kubernetes-validations'] as Node[]).map((r) => r['rule']);
    const reserved = RESERVED_SUBNETS.map(
      (r) =>
        `self == '' || !isCIDR(self) || cidr(self).ip().family() != ${r.prefix.includes(':') ? 6 : 4} || !(cidr('${r.prefix}').containsCIDR(self) || cidr(self).containsCIDR('${r.prefix}'))`,
    );
    expect(rules).toEqual([
      "self == '' || isCIDR(self)",
      "self == '' || !isCIDR(self) || cidr(self) == cidr(self).masked()",
      ...reserved,
      'self == oldSelf',
    ]);
    expect((spec['x-kubernetes-validations'] as Node[]).map((r) => r['rule'])).toEqual([
      '!has(oldSelf.subnet) || has(self.subnet)',
      '!has(self.subnet) || !has(self.subnets)',
      '!has(oldSelf.subnets) || has(self.subnets)',
    ]);
  });

  it('plugin.args is free-form', () => {
    const args = ((field('plugin')['properties'] as Record<string, Node>)['args'] ?? {}) as Node;
    expect(args).toMatchObject({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  });

  it('strategy is an enum that includes the legacy devClass', () => {
    const strategy = ((field('attachPolicy')['properties'] as Record<string, Node>)['strategy'] ?? {}) as Node;
    expect(strategy['enum']).toEqual([
      'none',
      'costOpt',
      'perfOpt',
      'topology',
      'nicClass',
      'selector',
      'firstAvailable',
      'devClass',
    ]);
  });
});

describe('toStructuralSchema reports what the API server would refuse', () => {
  it.each([
    {
      input: { anyOf: [{ type: 'string' }, { type: 'number' }] },
      problem: 'x: a union of different types is not structural; mark it string-or-object or restructure it',
    },
    { input: { type: 'object', properties: { a: {} } }, problem: 'x.a: has no type' },
    {
      input: { type: 'string', pattern: '^(?!x)' },
      problem: "x: pattern uses look-around or back-references, which the API server's RE2 cannot run",
    },
    {
      input: { type: 'array', prefixItems: [{ type: 'string' }] },
      problem: 'x: unsupported JSON Schema keyword "prefixItems"',
    },
    {
      input: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } },
      problem: 'x: "properties" and a typed "additionalProperties" cannot be combined',
    },
  ])('$problem', ({ input, problem }) => {
    expect(toStructuralSchema(input, 'x').problems).toContain(problem);
  });

  it.each([
    {
      what: 'enum unions merge',
      input: {
        anyOf: [
          { type: 'string', const: 'a' },
          { type: 'string', enum: ['b'] },
        ],
      },
      output: { type: 'string', enum: ['a', 'b'] },
    },
    {
      what: 'nullable',
      input: { anyOf: [{ type: 'string' }, { type: 'null' }] },
      output: { type: 'string', nullable: true },
    },
    {
      what: 'loose objects keep unknown fields',
      input: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: {} },
      output: { type: 'object', properties: { a: { type: 'string' } }, 'x-kubernetes-preserve-unknown-fields': true },
    },
    {
      what: 'strict objects rely on pruning',
      input: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false },
      output: { type: 'object', properties: { a: { type: 'string' } } },
    },
    {
      what: 'bookkeeping is dropped',
      input: { $schema: 'x', type: 'string', format: 'email' },
      output: { type: 'string' },
    },
  ])('$what', ({ input, output }) => {
    expect(toStructuralSchema(input)).toEqual({ schema: output, problems: [] });
  });
});
