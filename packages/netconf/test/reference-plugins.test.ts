// Feeds every generated delegate config to the REAL reference plugins from Debian's `containernetworking-plugins`
// (/usr/lib/cni) with CNI_COMMAND=ADD inside throw-away network namespaces, and checks the plugin got past
// configuration parsing. Needs root; never touches the machine's own interfaces (the "host NICs" are veths created
// inside a namespace of this test, deleted in `finally` and again in afterAll).
//
// Covered main plugins: those Debian ships — ipvlan, macvlan, host-device. sriov and aws-ipvlan are not in the
// package; their delegate configs are covered by the golden files, and their IPAM section by the `static` plugin.
// Debian's plugins (1.1.x) support cniVersion up to 1.0.0: a 1.1.0 config must be refused with the version error
// (code 1) and nothing else, and is otherwise identical to the 1.0.0 config that does run.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { CniSpecVersion } from '@multinic/crd-types';
import {
  buildDelegates,
  buildNetworkAttachmentDefinitions,
  parseMultiNicNetConf,
  routeCommands,
} from '../src/index.js';
import type { DelegatePlan, JsonObject, PluginType } from '../src/index.js';
import { ALL_TYPES, ALL_VERSIONS, EXAMPLE_ARGS, EXAMPLE_NICS, exampleNetwork } from './fixtures.js';

const CNI_DIR = '/usr/lib/cni';
const MAIN_PLUGINS = ['ipvlan', 'macvlan', 'host-device'] as const;
type MainPlugin = (typeof MAIN_PLUGINS)[number];
const created = new Set<string>();

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const r = spawnSync(command, args, {
    input: options.input ?? '',
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ip(...args: string[]): string {
  const r = run('ip', args);
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

interface Namespaces {
  readonly host: string;
  readonly pod: string;
}

/** A "host" namespace with veths named like the example NICs (eth1, eth2), and an empty "pod" namespace. */
function createNamespaces(): Namespaces {
  const id = randomBytes(4).toString('hex');
  const ns = { host: `mn-nc-${id}`, pod: `mn-nc-${id}-pod` };
  for (const name of [ns.host, ns.pod]) {
    ip('netns', 'add', name);
    created.add(name);
  }
  for (const nic of EXAMPLE_NICS) {
    ip('-n', ns.host, 'link', 'add', nic.interfaceName, 'type', 'veth', 'peer', 'name', `${nic.interfaceName}p`);
    ip('-n', ns.host, 'link', 'set', nic.interfaceName, 'up');
    ip('-n', ns.host, 'link', 'set', `${nic.interfaceName}p`, 'up');
  }
  return ns;
}

function deleteNamespace(name: string): void {
  run('ip', ['netns', 'delete', name]);
  created.delete(name);
}

function withNamespaces<T>(body: (ns: Namespaces) => T): T {
  const ns = createNamespaces();
  try {
    return body(ns);
  } finally {
    deleteNamespace(ns.pod);
    deleteNamespace(ns.host);
  }
}

interface CniAnswer {
  readonly status: number | null;
  readonly json: Record<string, unknown>;
  readonly raw: string;
}

/** Executes a CNI plugin inside the host namespace, the pod namespace as CNI_NETNS. */
function cni(options: {
  plugin: string;
  command: 'ADD' | 'DEL';
  ns: Namespaces;
  ifName: string;
  config: JsonObject;
}): CniAnswer {
  const env = {
    PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: options.command,
    CNI_CONTAINERID: `multinic-netconf-test-${options.ns.pod}`,
    CNI_NETNS: `/run/netns/${options.ns.pod}`,
    CNI_IFNAME: options.ifName,
    CNI_PATH: CNI_DIR,
  };
  const r = run('ip', ['netns', 'exec', options.ns.host, `${CNI_DIR}/${options.plugin}`], {
    input: JSON.stringify(options.config),
    env,
  });
  let json: Record<string, unknown> = {};
  try {
    json = r.stdout.trim() === '' ? {} : (JSON.parse(r.stdout) as Record<string, unknown>);
  } catch {
    json = { unparsable: r.stdout };
  }
  return { status: r.status, json, raw: `${r.stdout}${r.stderr}` };
}

function supportedVersions(plugin: string): string[] {
  const r = run(`${CNI_DIR}/${plugin}`, [], { env: { CNI_COMMAND: 'VERSION' }, input: '{}' });
  return (JSON.parse(r.stdout) as { supportedVersions: string[] }).supportedVersions;
}

function unwrap<T>(result: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

function plan(type: PluginType, version: CniSpecVersion, args?: Record<string, unknown>): DelegatePlan {
  const nad = unwrap(buildNetworkAttachmentDefinitions(exampleNetwork(type, version, args)))[0];
  const conf = unwrap(parseMultiNicNetConf(JSON.parse(nad?.spec?.config ?? '{}')));
  return unwrap(buildDelegates({ plugin: conf.plugin, nics: EXAMPLE_NICS, routes: conf.routes }));
}

/** Errors that mean the plugin did NOT get past reading its configuration. */
const CONFIG_ERROR =
  /failed to load netconf|cannot unmarshal|unknown .* mode|invalid|decod|unsupported|must be|missing/i;

/**
 * True when a failed ADD failed after configuration parsing: not a decode/config/version error code, and a message
 * that is not about the config (the CNI reference plugins report config problems as code 999 too, so the message
 * decides).
 */
function failedAfterConfig(answer: CniAnswer, expected: RegExp): boolean {
  const code = answer.json['code'];
  const msg = String(answer.json['msg'] ?? '');
  return (
    answer.status !== 0 && ![1, 2, 4, 6, 7].includes(Number(code)) && expected.test(msg) && !CONFIG_ERROR.test(msg)
  );
}

function ipamAddress(config: JsonObject): string {
  const ipam = config['ipam'] as { addresses: { address: string }[] };
  return ipam.addresses[0]?.address ?? '';
}

function podAddresses(ns: Namespaces, dev: string): string[] {
  const links = JSON.parse(ip('-n', ns.pod, '-j', 'addr', 'show', 'dev', dev)) as {
    addr_info: { family: string; local: string; prefixlen: number }[];
  }[];
  return links.flatMap((l) => l.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`));
}

const versions: Record<string, string[]> = {};

beforeAll(() => {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'reference-plugins.test.ts must run as root: it creates network namespaces and runs the CNI reference plugins (run the tests as root, e.g. in CI)',
    );
  }
  const missing = [...MAIN_PLUGINS, 'static'].filter((p) => !existsSync(`${CNI_DIR}/${p}`));
  if (missing.length > 0) {
    throw new Error(
      `${CNI_DIR} lacks ${missing.join(', ')}: install Debian's containernetworking-plugins (apt-get install -y containernetworking-plugins; scripts/ensure-tools does it)`,
    );
  }
  for (const p of [...MAIN_PLUGINS, 'static']) versions[p] = supportedVersions(p);
});

afterAll(() => {
  for (const name of [...created]) deleteNamespace(name);
});

describe('reference CNI plugins accept the generated delegate configs', () => {
  const cases = MAIN_PLUGINS.flatMap((type) => ALL_VERSIONS.map((version) => ({ type, version })));

  it('runs as root with the reference plugins installed', () => {
    expect(process.getuid?.()).toBe(0);
    for (const p of [...MAIN_PLUGINS, 'static']) expect(existsSync(`${CNI_DIR}/${p}`)).toBe(true);
  });

  it.each(cases)('$type with cniVersion $version', ({ type, version }) => {
    const { delegates, routes } = plan(type, version);
    if (!(versions[type] ?? []).includes(version)) {
      expectVersionRefusal(type, version, delegates[0]?.config ?? {});
      return;
    }
    withNamespaces((ns) => {
      if (type === 'ipvlan') expectIpvlanLinkError(ns, delegates);
      else expectAttached(type, ns, { delegates, routes });
    });
  });

  it('host-device with pciBusID: the plugin looks the PCI device up (past config parsing)', () => {
    const { delegates } = plan('host-device', '1.0.0', { ...EXAMPLE_ARGS['host-device'], pciBusID: 'true' });
    const config = delegates[0]?.config ?? {};
    expect(config['pciBusID']).toBe('0000:3b:00.2');
    withNamespaces((ns) => {
      const answer = cni({ plugin: 'host-device', command: 'ADD', ns, ifName: 'net1-0', config });
      expect(failedAfterConfig(answer, /\/sys\/bus\/pci\/devices\/0000:3b:00\.2/)).toBe(true);
    });
  });

  it('the classifier recognises a real configuration error (so the checks above can fail)', () => {
    const { delegates } = plan('ipvlan', '1.0.0');
    withNamespaces((ns) => {
      const broken = { ...(delegates[0]?.config ?? {}), mode: 'l9' };
      const answer = cni({ plugin: 'ipvlan', command: 'ADD', ns, ifName: 'net1-0', config: broken });
      expect(failedAfterConfig(answer, /^failed to create ipvlan: /)).toBe(false);
      const mistyped = { ...(delegates[0]?.config ?? {}), mtu: 'big' };
      expect(
        failedAfterConfig(cni({ plugin: 'ipvlan', command: 'ADD', ns, ifName: 'net1-0', config: mistyped }), /./),
      ).toBe(false);
    });
  });
});

describe('the static IPAM plugin accepts every delegate IPAM section', () => {
  const cases = ALL_TYPES.flatMap((type) => ALL_VERSIONS.map((version) => ({ type, version })));

  it.each(cases)('$type with cniVersion $version', ({ type, version }) => {
    const { delegates } = plan(type, version);
    for (const delegate of delegates) {
      const env = {
        CNI_COMMAND: 'ADD',
        CNI_CONTAINERID: 'multinic-static-check',
        CNI_NETNS: '/run/netns/unused',
        CNI_IFNAME: delegate.podInterface,
        CNI_PATH: CNI_DIR,
      };
      const r = run(`${CNI_DIR}/static`, [], { input: JSON.stringify(delegate.config), env });
      if (!(versions['static'] ?? []).includes(version)) {
        expect(JSON.parse(r.stdout)).toMatchObject({ code: 1, msg: 'incompatible CNI versions' });
        continue;
      }
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      const result = JSON.parse(r.stdout) as { ips: { address: string; gateway?: string }[]; routes?: unknown[] };
      const ipam = delegate.config['ipam'] as {
        addresses: { address: string; gateway?: string }[];
        routes?: unknown[];
      };
      expect(result.ips.map((i) => ({ address: i.address, gateway: i.gateway }))).toEqual(ipam.addresses);
      expect(result.routes ?? []).toEqual(ipam.routes ?? []);
    }
  });
});

function expectVersionRefusal(type: MainPlugin, version: CniSpecVersion, config: JsonObject): void {
  withNamespaces((ns) => {
    const answer = cni({ plugin: type, command: 'ADD', ns, ifName: 'net1-0', config });
    expect(answer.json).toMatchObject({ code: 1, msg: 'incompatible CNI versions' });
    expect(String(answer.json['details'])).toContain(`config is "${version}"`);
  });
  // The body is the one the 1.0.0 run checks: only cniVersion differs.
  const reference = plan(type, '1.0.0').delegates[0]?.config ?? {};
  expect({ ...config, cniVersion: '1.0.0' }).toEqual(reference);
}

function expectIpvlanLinkError(ns: Namespaces, delegates: DelegatePlan['delegates']): void {
  for (const delegate of delegates) {
    const answer = cni({
      plugin: 'ipvlan',
      command: 'ADD',
      ns,
      ifName: delegate.podInterface,
      config: delegate.config,
    });
    // This kernel has no ipvlan: the plugin parsed the config, found the master, and failed creating the link.
    expect({ ok: failedAfterConfig(answer, /^failed to create ipvlan: /), answer: answer.raw }).toEqual({
      ok: true,
      answer: answer.raw,
    });
  }
}

function expectAttached(type: MainPlugin, ns: Namespaces, planned: Pick<DelegatePlan, 'delegates' | 'routes'>): void {
  for (const delegate of planned.delegates) {
    const answer = cni({ plugin: type, command: 'ADD', ns, ifName: delegate.podInterface, config: delegate.config });
    expect({ status: answer.status, out: answer.raw }).toEqual({ status: 0, out: answer.raw });
    expect(podAddresses(ns, delegate.podInterface)).toEqual([ipamAddress(delegate.config)]);
  }
  for (const argv of routeCommands(planned.routes)) ip('-n', ns.pod, ...argv);
  expect(ip('-n', ns.pod, 'route', 'show', 'table', '100')).toContain('default via 192.168.63.254 dev net1-0');
  expect(ip('-n', ns.pod, 'rule', 'show')).toContain('from 192.168.64.1 lookup 101');
  expect(ip('-n', ns.pod, 'route', 'show', '172.16.0.0/12')).toMatch(
    /nexthop via 192\.168\.63\.254 dev net1-0[^]*nexthop via 192\.168\.127\.254 dev net1-1/,
  );
  for (const delegate of [...planned.delegates].reverse()) {
    const answer = cni({ plugin: type, command: 'DEL', ns, ifName: delegate.podInterface, config: delegate.config });
    expect({ status: answer.status, out: answer.raw }).toEqual({ status: 0, out: answer.raw });
  }
  expect(ip('-n', ns.pod, '-o', 'link', 'show')).not.toContain('net1-');
  if (type === 'host-device') expect(ip('-n', ns.host, '-o', 'link', 'show')).toContain('eth1');
}
