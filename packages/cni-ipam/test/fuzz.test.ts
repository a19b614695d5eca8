// Hostile input kept in the suite (issue 23): the real multi-nic-ipam executable with mutated configurations (agent,
// host-local and aws-ipvlan modes), CNI_* environment combinations, interface names and namespace paths. Every run
// ends by itself in success or the spec's error JSON, with no stack trace; nothing is left in the run's directory
// (cwd, host-local's dataDir); the machine's namespace keeps its links and no namespace appears. The agent socket is
// always a path this test owns: absent, or a file nobody listens on; CNI_PATH holds no delegate.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
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
import { executable } from './exec.js';

const BIN = executable('multi-nic-ipam');
const SEED = Number(process.env['MULTINIC_FUZZ_SEED'] ?? 23);
const RUNS = 150;
const dir = mkdtempSync(path.join(tmpdir(), 'mn-cni-ipam-fuzz-'));
const work = path.join(dir, 'work');
const state = path.join(dir, 'state');
const ABSENT = path.join(dir, 'absent.sock');
const DEAD = path.join(dir, 'dead.sock');

const prevResult = (cniVersion: string): Json => ({
  cniVersion,
  interfaces: [{ name: 'net1', mac: '02:00:00:00:00:01', sandbox: NETNS_PLACEHOLDER }],
  ips: [{ address: '192.168.0.9/18', gateway: '192.168.0.1', interface: 0 }],
});

const conf = (
  cniVersion: string,
  socket: string,
  ipam: Record<string, Json> = {},
  extra: Record<string, Json> = {},
): Json => ({
  cniVersion,
  name: 'multinic-fuzz',
  type: 'macvlan',
  master: 'eth1',
  agentSocket: socket,
  ipam: { type: 'multi-nic-ipam', agentSocket: socket, ...ipam },
  ...extra,
});

const pools: Json = [
  { hostName: 'node1', interfaceName: 'eth1', podCIDR: '192.168.0.0/30', vlanCIDR: '192.168.0.0/18' },
  {
    hostName: 'node1',
    interfaceName: 'eth2',
    podCIDR: '192.168.64.0/26',
    vlanCIDR: '192.168.64.0/18',
    gateway: '192.168.64.1',
  },
];

const OPTIONS: FuzzOptions = {
  configs: [
    conf('1.0.0', ABSENT),
    conf(
      '1.1.0',
      DEAD,
      {},
      { prevResult: prevResult('1.1.0'), 'cni.dev/valid-attachments': [{ containerID: 'c0ffee', ifname: 'net1' }] },
    ),
    conf(
      '0.4.0',
      ABSENT,
      { network: 'multinic-fuzz' },
      {
        prevResult: prevResult('0.4.0'),
        runtimeConfig: { ips: ['192.168.0.9/18'], mac: '0a:58:00:00:00:01', deviceID: '0000:00:01.0' },
        args: { cni: { nics: 2, masters: ['eth1'], target: 'x', class: 'y' } },
      },
    ),
    conf(
      '1.1.0',
      ABSENT,
      { mode: 'host-local', hostName: 'node1', pools, dataDir: state },
      { prevResult: prevResult('1.1.0'), 'cni.dev/valid-attachments': [], logLevel: 'debug' },
    ),
    conf('1.1.0', DEAD, { mode: 'aws-ipvlan', subnetIDs: ['subnet-0abc'] }, { 'cni.dev/valid-attachments': [] }),
  ],
  protectedKeys: ['agentSocket'],
  netns: [
    '/proc/self/ns/net',
    '/proc/thread-self/ns/net',
    '/run/netns/mn-cni-ipam-fuzz-absent',
    '/dev/null',
    '/nonexistent/ns',
    'relative/ns',
    '/run/netns',
    dir,
    '/run/netns/../netns/none',
  ],
  cniPath: path.join(dir, 'bin'),
};

let before: { root: string[]; netns: string[]; files: string[] };

beforeAll(() => {
  for (const d of [work, state, OPTIONS.cniPath]) mkdirSync(d);
  writeFileSync(DEAD, '');
  before = { root: linkSnapshot(), netns: foreignNetns(), files: filesUnder(dir) };
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('multi-nic-ipam executable under hostile input', () => {
  it(`ends in success or a spec error JSON, never a stack trace or a hang, and touches nothing it must not (${RUNS} runs, seed ${SEED})`, () => {
    fc.assert(
      fc.property(fuzzInput(OPTIONS), (input) => {
        const stdin = stdinOf(input, OPTIONS);
        const out = runExecutable({ file: BIN, env: input.env, stdin, cwd: work, timeoutMs: 10_000 });
        const problems = outcomeProblems({ env: input.env, stdin }, out);
        if (linkSnapshot().join() !== before.root.join())
          problems.push(`the namespace it runs in changed: ${linkSnapshot().join(', ')}`);
        if (filesUnder(dir).join() !== before.files.join()) problems.push(`files left: ${filesUnder(dir).join(', ')}`);
        expect({ stdin: stdin.slice(0, 400), problems }).toEqual({ stdin: stdin.slice(0, 400), problems: [] });
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect({ netns: foreignNetns() }).toEqual({ netns: before.netns });
  }, 240_000);
});
