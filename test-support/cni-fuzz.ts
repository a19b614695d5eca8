// Hostile input for the CNI plugin executables (issue 23): fast-check arbitraries for mutated network configurations,
// CNI_* environment combinations, interface names and namespace paths, and the one verdict every run must pass —
// success with a valid answer or the spec's error JSON, never a stack trace, a crash or a hang. The executables are
// the real single executables, run as a runtime runs them. Import by relative path from a package's test/.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { CNI_SPEC_VERSIONS, CniErrorSchema, parseAndConvertResult } from '@multinic/crd-types';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Where the runtime's CNI_NETNS goes in a configuration (prevResult's sandbox): replaced by the run's CNI_NETNS. */
export const NETNS_PLACEHOLDER = '@@CNI_NETNS@@';

/** One change to a configuration; `at` picks a node (modulo the number of nodes, so any value is valid). */
export type Mutation =
  | { readonly op: 'drop'; readonly at: number }
  | { readonly op: 'set'; readonly at: number; readonly value: Json }
  | { readonly op: 'addKey'; readonly at: number; readonly key: string; readonly value: Json }
  | { readonly op: 'cniVersion'; readonly value: Json };

/** A change to the configuration's text after the mutations. */
export type TextChange =
  | { readonly op: 'none' }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'duplicateKey'; readonly key: string; readonly value: Json }
  | { readonly op: 'deep'; readonly depth: number }
  | { readonly op: 'replace'; readonly text: string }
  | { readonly op: 'bom' };

export interface FuzzInput {
  readonly base: number;
  readonly mutations: readonly Mutation[];
  readonly text: TextChange;
  readonly env: Readonly<Record<string, string>>;
}

export interface FuzzOptions {
  /** Valid configurations to start from (`NETNS_PLACEHOLDER` wherever the namespace path belongs). */
  readonly configs: readonly Json[];
  /** Object keys never dropped or replaced: the agent socket, so that no run can fall back to a real agent's path. */
  readonly protectedKeys: readonly string[];
  /** CNI_NETNS candidates (paths to namespaces the test owns, its own namespace, files that are no namespace…). */
  readonly netns: readonly string[];
  /** CNI_PATH when the variable is "valid". */
  readonly cniPath: string;
}

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];
const BAD_VERSIONS: Json[] = [
  '0.1.0',
  '0.2.0',
  '1.2.0',
  '2.0.0',
  '',
  '1.0',
  '1.0.0 ',
  ' 1.0.0',
  'v1.0.0',
  '１.0.0',
  1,
  1.1,
  null,
  true,
  [],
  {},
];

/** Interface names: valid ones, the 15/16-character limits, '/', '.', '..', ':', whitespace, unicode, empty. */
export const IFNAMES: readonly string[] = [
  'net1',
  'eth0',
  'abcdefghijklm',
  'abcdefghijklmn',
  'abcdefghijklmno',
  'abcdefghijklmnop',
  '',
  '/',
  '.',
  '..',
  'a/b',
  'a:b',
  'net 1',
  ' net1',
  'net1\t',
  'nét1',
  '网卡1',
  '😀',
  'net1-0',
  '-',
  'lo',
  '*',
  '(',
  'a'.repeat(300),
];

const POD_ARGS =
  'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=c0ffee;K8S_POD_UID=0a1b2c3d';
const ARGS: readonly string[] = [
  POD_ARGS,
  'K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0',
  'IgnoreUnknown=1;K8S_POD_UID=',
  'IgnoreUnknown=1;FOO',
  '=;=',
  ';;;',
  'IgnoreUnknown=1;K8S_POD_UID=a;K8S_POD_UID=b;K8S_POD_NAME=x;K8S_POD_NAMESPACE=y',
  `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=${'p'.repeat(5000)};K8S_POD_UID=u`,
  'IgnoreUnknown=1;K8S_POD_NAMESPACE=dé;K8S_POD_NAME=网;K8S_POD_UID=😀',
  'IgnoreUnknown=1;K8S_POD_NAMESPACE=../..;K8S_POD_NAME=/etc/passwd;K8S_POD_UID=__proto__',
  'IP=192.168.0.300;MAC=zz;GATEWAY=x;K8S_POD_UID=u;K8S_POD_NAME=p;K8S_POD_NAMESPACE=n',
];
const COMMANDS = ['ADD', 'DEL', 'CHECK', 'GC', 'STATUS', 'VERSION'];
const JUNK_COMMANDS = ['add', 'GET', 'ADD ', 'VERSION\n', 'DELETE', '0', 'ADD;DEL'];

/** Environment values never hold NUL (execve cannot pass it). */
const envString = fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.replaceAll('\0', ''));

/** present-valid (most of the time), absent, empty or garbage. */
function variable(valid: fc.Arbitrary<string>): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { arbitrary: valid, weight: 16 },
    { arbitrary: fc.constant(undefined), weight: 1 },
    { arbitrary: fc.constant(''), weight: 1 },
    { arbitrary: envString, weight: 1 },
  );
}

/** `typical` three times out of four, else one of the edge cases. */
function usually(typical: string, edges: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof({ arbitrary: fc.constant(typical), weight: 3 }, { arbitrary: fc.constantFrom(...edges), weight: 1 });
}

const leaf: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -1, 2 ** 53, 1e308, -0),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '',
    '192.168.0.1/24',
    '../../etc/passwd',
    '__proto__',
    'eth0',
    'a'.repeat(200_000),
    '😀'.repeat(1000),
  ),
);
const jsonValue: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 3 },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...PROTO_KEYS)), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** One mutation of a JSON document: a node dropped or replaced, a key added (prototype keys too), a bad cniVersion. */
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: jsonValue }),
  fc.record({
    op: fc.constant('addKey' as const),
    at: fc.nat(),
    key: fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.string({ maxLength: 12 })),
    value: jsonValue,
  }),
  fc.record({ op: fc.constant('cniVersion' as const), value: fc.constantFrom(...BAD_VERSIONS) }),
);

const textChange: fc.Arbitrary<TextChange> = fc.oneof(
  { arbitrary: fc.constant({ op: 'none' as const }), weight: 10 },
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    op: fc.constantFrom('duplicateKey' as const),
    key: fc.constantFrom('cniVersion', 'name', 'type', 'ipam', 'prevResult', '__proto__'),
    value: jsonValue,
  }),
  fc.record({ op: fc.constant('deep' as const), depth: fc.constantFrom(10, 1_000, 100_000) }),
  fc.record({
    op: fc.constant('replace' as const),
    text: fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.constantFrom('', 'null', '[]', '"x"', '1', '{', '}', '{}', '\uFEFF{}', 'true'),
    ),
  }),
  fc.constant({ op: 'bom' as const }),
);

/** Inputs: a base configuration, up to three mutations, a text change and a CNI environment. */
export function fuzzInput(options: FuzzOptions): fc.Arbitrary<FuzzInput> {
  const hostile = fc.record({
    CNI_COMMAND: fc.oneof(
      { arbitrary: fc.constantFrom(...COMMANDS), weight: 10 },
      { arbitrary: fc.constantFrom(...JUNK_COMMANDS), weight: 1 },
      { arbitrary: fc.constant(undefined), weight: 1 },
    ),
    CNI_CONTAINERID: variable(
      usually('c0ffee', ['0123456789abcdef'.repeat(4), 'a.b_c-d', '-x', '.x', 'x/y', 'ünï', 'x'.repeat(5000)]),
    ),
    CNI_NETNS: variable(fc.constantFrom(...options.netns)),
    CNI_IFNAME: variable(usually('net1', IFNAMES)),
    CNI_PATH: variable(usually(options.cniPath, [`${options.cniPath}::/nonexistent`, 'relative/bin', ':'])),
    CNI_ARGS: variable(usually(POD_ARGS, ARGS)),
    PATH: fc.constantFrom(undefined, '', '/nonexistent', '/usr/sbin:/usr/bin:/sbin:/bin'),
  });
  // A runtime's environment with only the namespace and the interface name varying: the runs that reach the handlers.
  const runtime = fc.record({
    CNI_COMMAND: fc.constantFrom('ADD', 'DEL', 'CHECK', 'GC', 'STATUS'),
    CNI_CONTAINERID: fc.constant('c0ffee'),
    CNI_NETNS: fc.constantFrom(...options.netns),
    CNI_IFNAME: usually('net1', IFNAMES),
    CNI_PATH: fc.constant(options.cniPath),
    CNI_ARGS: fc.constant(POD_ARGS),
  });
  const env = fc.oneof({ arbitrary: runtime, weight: 1 }, { arbitrary: hostile, weight: 1 });
  return fc.record({
    base: fc.nat({ max: options.configs.length - 1 }),
    mutations: fc.oneof(fc.constant([]), fc.array(mutation, { minLength: 1, maxLength: 3 })),
    text: textChange,
    env: env.map((e: Readonly<Record<string, string | undefined>>) =>
      Object.fromEntries(Object.entries(e).filter((kv): kv is [string, string] => kv[1] !== undefined)),
    ),
  });
}

interface Node {
  readonly parent: Json[] | { [key: string]: Json } | undefined;
  readonly key: string | number;
  readonly value: Json;
}

function nodesOf(root: Json): Node[] {
  const out: Node[] = [{ parent: undefined, key: '', value: root }];
  const walk = (value: Json): void => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        out.push({ parent: value, key: i, value: v });
        walk(v);
      });
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        out.push({ parent: value, key: k, value: v });
        walk(v);
      }
    }
  };
  walk(root);
  return out;
}

/** An own property even for `__proto__`, so that JSON.stringify writes it. */
function put(target: { [key: string]: Json }, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function apply(root: Json, m: Mutation, protectedKeys: readonly string[]): Json {
  if (m.op === 'cniVersion') {
    if (root !== null && typeof root === 'object' && !Array.isArray(root)) put(root, 'cniVersion', m.value);
    return root;
  }
  const nodes = nodesOf(root);
  const node = nodes[m.at % nodes.length];
  if (node === undefined) return root;
  if (m.op === 'addKey') {
    const target = node.value;
    if (target !== null && typeof target === 'object' && !Array.isArray(target) && !protectedKeys.includes(m.key))
      put(target, m.key, m.value);
    return root;
  }
  if (node.parent === undefined) return m.op === 'set' ? m.value : root;
  if (typeof node.key === 'string' && protectedKeys.includes(node.key)) return root;
  if (Array.isArray(node.parent)) {
    const i = node.key as number;
    if (m.op === 'drop') node.parent.splice(i, 1);
    else node.parent[i] = m.value;
  } else if (m.op === 'drop') {
    delete node.parent[node.key];
  } else {
    put(node.parent, String(node.key), m.value);
  }
  return root;
}

function changeText(text: string, change: TextChange): string {
  const open = text.startsWith('{') ? 1 : 0;
  switch (change.op) {
    case 'none':
      return text;
    case 'truncate':
      return text.slice(0, change.at % Math.max(text.length, 1));
    case 'duplicateKey':
      return open === 1 ? `{${JSON.stringify(change.key)}:${JSON.stringify(change.value)},${text.slice(1)}` : text;
    case 'deep':
      return open === 1 ? `{"deep":${'['.repeat(change.depth)}${']'.repeat(change.depth)},${text.slice(1)}` : text;
    case 'replace':
      return change.text;
    case 'bom':
      return `\uFEFF${text}`;
  }
}

/** `value` (copied) after `mutations`; keys in `protectedKeys` are never dropped, replaced or added. */
export function mutate(value: Json, mutations: readonly Mutation[], protectedKeys: readonly string[] = []): Json {
  let out = structuredClone(value);
  for (const m of mutations) out = apply(out, m, protectedKeys);
  return out;
}

/** The stdin text of an input (with its CNI_NETNS in place of the placeholder). */
export function stdinOf(input: FuzzInput, options: FuzzOptions): string {
  const config = mutate(options.configs[input.base] ?? null, input.mutations, options.protectedKeys);
  const netns = JSON.stringify(input.env['CNI_NETNS'] ?? '').slice(1, -1);
  return changeText(JSON.stringify(config) ?? '', input.text).replaceAll(NETNS_PLACEHOLDER, netns);
}

export interface RunOutcome {
  readonly status: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly error: string | undefined;
}

/** Runs the executable once; `prefix` (e.g. `nsenter --net=…`) runs it in another namespace. Killed after `timeoutMs`. */
export function runExecutable(options: {
  file: string;
  prefix?: readonly string[];
  env: Readonly<Record<string, string>>;
  stdin: string;
  cwd: string;
  timeoutMs: number;
}): RunOutcome {
  const [command, ...args] = [...(options.prefix ?? []), options.file];
  const r = spawnSync(command ?? options.file, args, {
    env: options.env,
    input: options.stdin,
    cwd: options.cwd,
    encoding: 'utf8',
    timeout: options.timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 16 * 1024 * 1024,
  });
  return {
    status: r.status,
    signal: r.signal,
    stdout: r.stdout,
    stderr: r.stderr,
    error: r.error === undefined ? undefined : r.error.message,
  };
}

/** Spec codes (1–7, 11, 50, 51) and plugin codes (≥ 100, 999 "other"). */
function isSpecCode(code: number): boolean {
  return (code >= 1 && code <= 7) || code === 11 || code === 50 || code === 51 || code >= 100;
}

const STACK = /^\s+at \S.*$|node:internal|Uncaught|FATAL ERROR|\.(?:c?js|ts):\d+:\d+/m;

function errorProblems(stdout: string): string[] {
  const lines = stdout.split('\n');
  if (lines.length !== 2 || lines[1] !== '')
    return [`stdout must be exactly one JSON line, got ${JSON.stringify(stdout.slice(0, 300))}`];
  let json: unknown;
  try {
    json = JSON.parse(lines[0] ?? '');
  } catch {
    return [`stdout is not JSON: ${JSON.stringify(stdout.slice(0, 300))}`];
  }
  const parsed = CniErrorSchema.safeParse(json);
  if (!parsed.success) return [`stdout is not a CNI error: ${stdout.slice(0, 300)}`];
  const problems: string[] = [];
  const { code, msg, details, cniVersion } = parsed.data;
  if (!isSpecCode(code)) problems.push(`code ${code} is not a spec code`);
  if (msg.trim() === '') problems.push('empty msg');
  if (!(CNI_SPEC_VERSIONS as readonly string[]).includes(cniVersion)) problems.push(`error cniVersion ${cniVersion}`);
  if (STACK.test(msg) || STACK.test(details ?? ''))
    problems.push(`a stack trace in the error: ${stdout.slice(0, 500)}`);
  return problems;
}

function successProblems(command: string, stdout: string, stdin: string): string[] {
  if (command === 'VERSION') {
    const json = JSON.parse(stdout) as { supportedVersions?: unknown };
    return Array.isArray(json.supportedVersions) ? [] : [`VERSION answered ${stdout}`];
  }
  if (command === 'ADD') {
    const version = (JSON.parse(stdin) as { cniVersion?: unknown }).cniVersion;
    const result = parseAndConvertResult(JSON.parse(stdout), String(version));
    return result.ok ? [] : [`ADD printed an invalid result: ${result.error.msg}`];
  }
  return stdout === '' ? [] : [`${command} succeeded with output ${JSON.stringify(stdout.slice(0, 300))}`];
}

/**
 * What is wrong with one run: it must end by itself, exit 0 with a valid answer (a result for ADD, the versions for
 * VERSION, nothing otherwise) or exit 1 with exactly one CNI error object on stdout, and no stack trace anywhere.
 */
export function outcomeProblems(
  input: { env: Readonly<Record<string, string>>; stdin: string },
  out: RunOutcome,
): string[] {
  if (out.error !== undefined && out.status === null)
    return [`did not end by itself (${out.error}, signal ${out.signal ?? 'none'})`];
  if (out.status === null) return [`killed by ${out.signal ?? 'a signal'}`];
  const problems: string[] = [];
  if (STACK.test(out.stderr)) problems.push(`a stack trace on stderr: ${out.stderr.slice(0, 800)}`);
  if (out.status === 0) {
    try {
      problems.push(...successProblems(input.env['CNI_COMMAND'] ?? '', out.stdout, input.stdin));
    } catch (err) {
      problems.push(`success with unreadable output ${JSON.stringify(out.stdout.slice(0, 300))}: ${String(err)}`);
    }
  } else if (out.status !== 1) {
    problems.push(`exit code ${out.status}`);
  } else {
    problems.push(...errorProblems(out.stdout));
  }
  return problems;
}

/** Every file under `dir` (relative paths, sorted): what a run may not leave behind. */
export function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[]).map((f) => path.join(f)).sort();
}

/** `ip -o link` of a namespace (undefined: the test's own), reduced to index, name and flags. */
export function linkSnapshot(netns?: string): string[] {
  const r = spawnSync('ip', [...(netns === undefined ? [] : ['-n', netns]), '-o', 'link', 'show'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`ip link show failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split(/\s+/).slice(0, 3).join(' '))
    .sort();
}

/** `ip netns list` names, without the other test suites' throw-away namespaces (they all start with `mn-`). */
export function foreignNetns(): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip netns list failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '' && !n.startsWith('mn-'))
    .sort();
}
