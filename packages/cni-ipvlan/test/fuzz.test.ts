// Hostile input kept in the suite (issue 23): the real multi-nic executable with mutated NetworkAttachmentDefinition
// configs, CNI_* environment combinations, interface names and namespace paths. Every run ends by itself in success
// or the spec's error JSON, with no stack trace; nothing is left in the run's directory; the namespace the plugin
// runs in — a throw-away "host" holding bait links named as pod links would be — and the machine's own namespace
// keep every link. The agent socket is always a path this test owns: absent, or a file nobody listens on.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { CniSpecVersion } from '@multinic/crd-types';
import { nadConfig } from '@multinic/netconf';
import { addNetns, deleteNetns } from '@multinic/testenv';
import {
  NETNS_PLACEHOLDER,
  filesUnder,
  foreignNetns,
  fuzzInput,
  linkSnapshot,
  outcomeProblems,
  runExecutable,
  stdinOf,
} from '../../../test-support/cni-fuzz.js';
import type { FuzzOptions, Json } from '../../../test-support/cni-fuzz.js';
import { executable, testNetwork } from './exec.js';
import { ip } from './lab.js';

const BIN = executable('multi-nic');
const SEED = Number(process.env['MULTINIC_FUZZ_SEED'] ?? 23);
const RUNS = 150;
const id = randomBytes(3).toString('hex');
const HOST = `mn-cni-fz-${id}`;
const POD = `mn-cni-fz-${id}-pod`;
/** Veth pairs in the plugin's own namespace named as the pod links of the fuzzed interface names would be. */
const BAIT: readonly (readonly [string, string])[] = [
  ['net1-0', 'net1-1'],
  ['eth0-0', 'abcdefghijklm-0'],
  ['lo-0', 'bait'],
];
const dir = mkdtempSync(path.join(tmpdir(), 'mn-cni-fuzz-'));
const work = path.join(dir, 'work');
const ABSENT = path.join(dir, 'absent.sock');
const DEAD = path.join(dir, 'dead.sock');

function nad(type: string, cniVersion: CniSpecVersion, socket: string, extra: Record<string, Json> = {}): Json {
  const conf = nadConfig(testNetwork(type, cniVersion, { name: 'multinic-fuzz' }), { agentSocket: socket });
  if (!conf.ok) throw new Error(conf.error);
  return { ...(JSON.parse(JSON.stringify(conf.value)) as Record<string, Json>), ...extra };
}

/** A prevResult whose pod interfaces are the bait links, in the namespace the run names. */
function prevResult(cniVersion: string): Json {
  return {
    cniVersion,
    interfaces: [
      { name: 'net1-0', mac: '02:00:00:00:00:01', sandbox: NETNS_PLACEHOLDER },
      { name: 'net1-1', mac: '02:00:00:00:00:02', sandbox: NETNS_PLACEHOLDER },
    ],
    ips: [
      { address: '192.168.0.9/18', interface: 0 },
      { address: '192.168.64.9/18', interface: 1 },
    ],
  };
}

const OPTIONS: FuzzOptions = {
  configs: [
    nad('macvlan', '1.0.0', ABSENT),
    nad('macvlan', '1.1.0', DEAD, {
      prevResult: prevResult('1.1.0'),
      'cni.dev/valid-attachments': [{ containerID: 'c0ffee', ifname: 'net1' }],
    }),
    nad('ipvlan', '0.4.0', ABSENT, { prevResult: prevResult('0.4.0'), logLevel: 'debug' }),
    nad('macvlan', '0.3.1', DEAD, {
      runtimeConfig: { ips: ['192.168.0.9/18'], mac: '0a:58:00:00:00:01', deviceID: '0000:00:01.0' },
      args: { cni: { nics: 2, masters: ['eth1'] } },
    }),
    nad('host-device', '1.0.0', ABSENT, { prevResult: prevResult('1.0.0') }),
  ],
  protectedKeys: ['agentSocket'],
  netns: [
    '/proc/self/ns/net',
    '/proc/thread-self/ns/net',
    `/run/netns/${HOST}`,
    `/var/run/netns/${HOST}`,
    `/run/netns/${POD}`,
    `/run/netns/${HOST}-absent`,
    '/dev/null',
    '/nonexistent/ns',
    'relative/ns',
    '/run/netns',
    dir,
    '/run/netns/../netns/none',
  ],
  cniPath: path.join(dir, 'bin'),
};

function restoreBait(): void {
  const present = new Set(linkSnapshot(HOST).map((l) => l.split(' ')[1]?.split('@')[0]?.replace(/:$/, '')));
  for (const [name, peer] of BAIT) {
    if (present.has(name) && present.has(peer)) continue;
    for (const link of [name, peer]) if (present.has(link)) ip('-n', HOST, 'link', 'del', link);
    ip('-n', HOST, 'link', 'add', name, 'type', 'veth', 'peer', 'name', peer);
  }
}

let before: { root: string[]; netns: string[]; pod: string[]; files: string[] };

beforeAll(() => {
  mkdirSync(work);
  mkdirSync(OPTIONS.cniPath);
  writeFileSync(DEAD, '');
  addNetns(HOST);
  addNetns(POD);
  restoreBait();
  before = { root: linkSnapshot(), netns: foreignNetns(), pod: linkSnapshot(POD), files: filesUnder(dir) };
});

afterAll(() => {
  deleteNetns(POD);
  deleteNetns(HOST);
  rmSync(dir, { recursive: true, force: true });
});

const RUNTIME_ENV = {
  CNI_CONTAINERID: 'c0ffee',
  CNI_IFNAME: 'net1',
  CNI_PATH: OPTIONS.cniPath,
  CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_UID=0a1b2c3d',
};

describe('multi-nic executable: found by the fuzz test', () => {
  // DEL with no agent record removed the links prevResult (or the namespace) showed named <ifname>-<i>: given its own
  // namespace as the pod's, it deleted the host's net1-0 and net1-1.
  it.each([
    { command: 'DEL', name: '/proc/self/ns/net', netns: '/proc/self/ns/net', base: 1 },
    { command: 'DEL', name: 'its /run/netns name', netns: `/run/netns/${HOST}`, base: 2 },
    { command: 'DEL', name: '/proc/thread-self/ns/net', netns: '/proc/thread-self/ns/net', base: 0 },
    { command: 'ADD', name: '/proc/self/ns/net', netns: '/proc/self/ns/net', base: 0 },
    { command: 'CHECK', name: 'its /var/run/netns name', netns: `/var/run/netns/${HOST}`, base: 1 },
  ])(
    '$command with CNI_NETNS $name, the namespace the plugin runs in → code 4, its links untouched',
    ({ command, netns, base }) => {
      const input = {
        base,
        mutations: [],
        text: { op: 'none' as const },
        env: { ...RUNTIME_ENV, CNI_COMMAND: command, CNI_NETNS: netns },
      };
      const stdin = stdinOf(input, OPTIONS);
      const host = linkSnapshot(HOST);
      const out = runExecutable({
        file: BIN,
        prefix: ['/usr/bin/nsenter', `--net=/run/netns/${HOST}`],
        env: input.env,
        stdin,
        cwd: work,
        timeoutMs: 10_000,
      });
      expect(outcomeProblems({ env: input.env, stdin }, out)).toEqual([]);
      expect(JSON.parse(out.stdout)).toMatchObject({
        code: 4,
        msg: `CNI_NETNS ${JSON.stringify(netns)} is the network namespace this plugin runs in (the host's), not a pod's: nothing was done inside it`,
      });
      expect(linkSnapshot(HOST)).toEqual(host);
    },
  );
});

describe('multi-nic executable under hostile input', () => {
  it(`ends in success or a spec error JSON, never a stack trace or a hang, and touches nothing it must not (${RUNS} runs, seed ${SEED})`, () => {
    fc.assert(
      fc.property(fuzzInput(OPTIONS), (input) => {
        const stdin = stdinOf(input, OPTIONS);
        const host = linkSnapshot(HOST);
        const out = runExecutable({
          file: BIN,
          prefix: ['/usr/bin/nsenter', `--net=/run/netns/${HOST}`],
          env: input.env,
          stdin,
          cwd: work,
          timeoutMs: 10_000,
        });
        const problems = outcomeProblems({ env: input.env, stdin }, out);
        const after = linkSnapshot(HOST);
        if (after.join() !== host.join()) {
          problems.push(`the plugin's own namespace changed: ${after.join(', ')}`);
          restoreBait(); // so that the next runs, the shrinking ones too, are judged on their own
        }
        if (filesUnder(dir).join() !== before.files.join()) problems.push(`files left: ${filesUnder(dir).join(', ')}`);
        expect({ stdin: stdin.slice(0, 400), problems }).toEqual({ stdin: stdin.slice(0, 400), problems: [] });
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: false },
    );
    expect({ root: linkSnapshot(), netns: foreignNetns(), pod: linkSnapshot(POD) }).toEqual({
      root: before.root,
      netns: before.netns,
      pod: before.pod,
    });
  }, 240_000);
});
