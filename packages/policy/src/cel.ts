import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import type { CelInput } from '@bufbuild/cel';
import type { HostNic } from '@multinic/crd-types';
import type { PolicyResult } from './types.js';

/** A compiled selector: evaluates the expression for one NIC. */
export type NicPredicate = (nic: HostNic) => PolicyResult<boolean>;

const env = celEnv();

/** Every attribute a selector may read as `nic.<name>`. */
export const NIC_ATTRIBUTES = [
  'interfaceName',
  'netAddress',
  'hostIP',
  'mac',
  'mtu',
  'speedMbps',
  'numaNode',
  'pciAddress',
  'vendor',
  'product',
  'driver',
] as const;

type Expr = ReturnType<typeof parse>['expr'];

/** Identifiers CEL itself defines (type names usable as values, e.g. `type(x) == int`). */
const BUILTIN_IDENTS = new Set([
  'int',
  'uint',
  'double',
  'bool',
  'string',
  'bytes',
  'list',
  'map',
  'null_type',
  'type',
  'dyn',
]);
const ATTRIBUTE_SET: ReadonlySet<string> = new Set(NIC_ATTRIBUTES);

interface Unknown {
  readonly variables: Set<string>;
  readonly attributes: Set<string>;
}

type ExprKind = NonNullable<Expr['exprKind']>;
type Scoped = readonly [Expr | undefined, ReadonlySet<string>];

/** The sub-expressions of one node, each with the variables in scope there. */
function children(kind: ExprKind, scope: ReadonlySet<string>): Scoped[] {
  switch (kind.case) {
    case 'selectExpr':
      return [[kind.value.operand, scope]];
    case 'callExpr':
      return [kind.value.target, ...kind.value.args].map((e) => [e, scope] as const);
    case 'listExpr':
      return kind.value.elements.map((e) => [e, scope] as const);
    case 'structExpr':
      return kind.value.entries.flatMap((entry) => [
        [entry.keyKind.case === 'mapKey' ? entry.keyKind.value : undefined, scope] as const,
        [entry.value, scope] as const,
      ]);
    case 'comprehensionExpr': {
      const c = kind.value;
      const inner = new Set([...scope, c.iterVar, c.iterVar2, c.accuVar].filter((v) => v !== ''));
      return [
        [c.iterRange, scope],
        [c.accuInit, scope],
        [c.loopCondition, inner],
        [c.loopStep, inner],
        [c.result, inner],
      ];
    }
    default:
      return [];
  }
}

/** Collects variables other than `nic` (and comprehension variables) and `nic.<field>` reads of unknown fields. */
function collectUnknown(expr: Expr | undefined, scope: ReadonlySet<string>, out: Unknown): void {
  const kind = expr?.exprKind;
  if (kind === undefined) return;
  if (kind.case === 'identExpr' && !scope.has(kind.value.name) && !BUILTIN_IDENTS.has(kind.value.name)) {
    out.variables.add(kind.value.name);
  }
  if (kind.case === 'selectExpr') {
    const operand = kind.value.operand?.exprKind;
    const isNic = operand?.case === 'identExpr' && operand.value.name === 'nic';
    if (isNic && !ATTRIBUTE_SET.has(kind.value.field)) out.attributes.add(kind.value.field);
  }
  for (const [child, childScope] of children(kind, scope)) collectUnknown(child, childScope, out);
}

function unknownNamesError(expression: string, unknown: Unknown): string | undefined {
  const quoted = JSON.stringify(expression);
  if (unknown.variables.size > 0) {
    return `selector ${quoted} uses unknown variable ${[...unknown.variables].sort().join(', ')}: the only variable is nic`;
  }
  if (unknown.attributes.size > 0) {
    return `selector ${quoted} reads unknown NIC attribute ${[...unknown.attributes].sort().join(', ')}: use one of ${NIC_ATTRIBUTES.join(', ')}`;
  }
  return undefined;
}

/** The NIC attributes a selector sees as `nic.<name>`; integers are CEL `int`, absent attributes are absent keys. */
export function nicAttributes(nic: HostNic): Map<string, CelInput> {
  const attributes = new Map<string, CelInput>();
  const put = (key: (typeof NIC_ATTRIBUTES)[number], value: string | number | undefined): void => {
    if (value === undefined) return;
    attributes.set(key, typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value);
  };
  put('interfaceName', nic.interfaceName);
  put('netAddress', nic.netAddress);
  put('hostIP', nic.hostIP);
  put('mac', nic.mac);
  put('mtu', nic.mtu);
  put('speedMbps', nic.speedMbps);
  put('numaNode', nic.numaNode);
  put('pciAddress', nic.pciAddress);
  put('vendor', nic.vendor);
  put('product', nic.product);
  put('driver', nic.driver);
  return attributes;
}

/** A missing optional attribute is the usual evaluation error; say how to guard it. */
function hint(text: string): string {
  return /field not found|no such key/i.test(text)
    ? ' (this NIC lacks that attribute: guard it with has(nic.<attribute>))'
    : '';
}

function celTypeName(value: unknown): string {
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return 'double';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'a list, map or message' : typeof value;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Compiles a CEL selector over `nic` (the same expression language DRA uses for device selection), e.g.
 * `nic.speedMbps >= 100000 && nic.numaNode == 0`. Syntax errors, evaluation errors (such as reading an
 * attribute a NIC does not have — guard it with `has(nic.numaNode)`) and non-bool results are error values
 * that quote the expression.
 */
export function compileSelector(expression: string): PolicyResult<NicPredicate> {
  let evaluate: ReturnType<typeof plan>;
  const compileError = (text: string): PolicyResult<NicPredicate> => ({
    ok: false,
    error: { code: 'cel-compile', message: text },
  });
  try {
    const parsed = parse(expression);
    const unknown: Unknown = { variables: new Set(), attributes: new Set() };
    collectUnknown(parsed.expr, new Set(['nic']), unknown);
    const problem = unknownNamesError(expression, unknown);
    if (problem !== undefined) return compileError(problem);
    evaluate = plan(env, parsed);
  } catch (error) {
    return compileError(`selector ${JSON.stringify(expression)} does not compile: ${message(error)}`);
  }
  return { ok: true, value: (nic) => evaluateFor(expression, evaluate, nic) };
}

function evaluateFor(expression: string, evaluate: ReturnType<typeof plan>, nic: HostNic): PolicyResult<boolean> {
  let value: unknown;
  try {
    value = evaluate({ nic: nicAttributes(nic) });
  } catch (error) {
    value = error instanceof Error ? error : new Error(String(error));
  }
  if (isCelError(value) || value instanceof Error) {
    return {
      ok: false,
      error: {
        code: 'cel-eval',
        message: `selector ${JSON.stringify(expression)} failed on NIC ${nic.interfaceName}: ${message(value)}${hint(message(value))}`,
      },
    };
  }
  if (typeof value !== 'boolean') {
    return {
      ok: false,
      error: {
        code: 'cel-eval',
        message: `selector ${JSON.stringify(expression)} returned ${celTypeName(value)} for NIC ${nic.interfaceName}; it must return a bool`,
      },
    };
  }
  return { ok: true, value };
}
