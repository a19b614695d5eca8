// The real multi-nic-ipam single executable, run with an empty environment plus the CNI variables (no PATH, no
// Node.js on it), as Multus' runtime would. No node agent runs here: the agent-backed paths answer as they must
// when the agent is absent (ADD/GC: try again later; STATUS: not available; DEL: success, the agent's pod GC
// releases).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CniErrorSchema } from '@multinic/crd-types';
import { executable, runPlugin } from './exec.js';

const BIN = executable('multi-nic-ipam');
const dir = mkdtempSync(path.join(tmpdir(), 'mn-cni-ipam-'));
const absentSocket = path.join(dir, 'absent.sock');
const deadSocket = path.join(dir, 'dead.sock');

beforeAll(() => writeFileSync(deadSocket, '')); // a path that exists but where nobody listens: ECONNREFUSED
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = (command: string, extra: Record<string, string> = {}): Record<string, string> => ({
  CNI_COMMAND: command,
  CNI_CONTAINERID: 'c0ffee',
  CNI_NETNS: '/run/netns/none',
  CNI_IFNAME: 'net1',
  CNI_PATH: '/usr/lib/cni',
  CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_UID=uid-1',
  ...extra,
});

const conf = (cniVersion: string, socket: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  cniVersion,
  name: 'multinic-macvlan',
  type: 'macvlan',
  master: 'eth1',
  ipam: { type: 'multi-nic-ipam', agentSocket: socket },
  'cni.dev/valid-attachments': [],
  ...extra,
});

describe('multi-nic-ipam executable', () => {
  it('prints its version with --version, without Node.js on PATH', () => {
    const out = runPlugin(BIN, { env: {}, argv: ['--version'] });
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(
      /^CNI plugin multi-nic-ipam v\d+\.\d+\.\d+\nCNI protocol versions supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0\n$/,
    );
  });

  it('answers VERSION', () => {
    const out = runPlugin(BIN, { env: { CNI_COMMAND: 'VERSION' }, stdin: { cniVersion: '1.1.0' } });
    expect(out.json).toEqual({ cniVersion: '1.1.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
  });

  it.each([
    {
      name: 'ADD without CNI_NETNS',
      command: 'ADD',
      extra: { CNI_NETNS: '' },
      stdin: conf('1.0.0', absentSocket),
      code: 4,
      msg: 'required environment variables missing: CNI_NETNS',
    },
    { name: 'ADD with bad JSON', command: 'ADD', extra: {}, stdin: '{"cniVersion":', code: 6, msg: 'not valid JSON' },
    {
      name: 'ADD with version 0.2.0',
      command: 'ADD',
      extra: {},
      stdin: conf('0.2.0', absentSocket),
      code: 1,
      msg: 'incompatible CNI versions',
    },
    {
      name: 'CHECK on 0.3.1',
      command: 'CHECK',
      extra: {},
      stdin: conf('0.3.1', absentSocket),
      code: 1,
      msg: 'config version 0.3.1 does not allow CHECK',
    },
    {
      name: 'GC on 1.0.0',
      command: 'GC',
      extra: {},
      stdin: conf('1.0.0', absentSocket),
      code: 1,
      msg: 'config version 1.0.0 does not allow GC',
    },
    {
      name: 'STATUS on 1.0.0',
      command: 'STATUS',
      extra: {},
      stdin: conf('1.0.0', absentSocket),
      code: 1,
      msg: 'config version 1.0.0 does not allow STATUS',
    },
    {
      name: 'ADD with another IPAM type',
      command: 'ADD',
      extra: {},
      stdin: { ...conf('1.0.0', absentSocket), ipam: { type: 'static' } },
      code: 7,
      msg: 'ipam.type must be "multi-nic-ipam", not "static"',
    },
    {
      name: 'ADD without the pod UID',
      command: 'ADD',
      extra: { CNI_ARGS: 'K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0' },
      stdin: conf('1.0.0', absentSocket),
      code: 4,
      msg: 'CNI_ARGS lacks K8S_POD_UID',
    },
    {
      name: 'ADD with no agent socket',
      command: 'ADD',
      extra: {},
      stdin: conf('1.0.0', absentSocket),
      code: 11,
      msg: `not reachable at ${absentSocket} (ENOENT): is the node agent running on this node?`,
    },
    {
      name: 'ADD with nobody on the socket',
      command: 'ADD',
      extra: {},
      stdin: conf('0.4.0', deadSocket),
      code: 11,
      msg: `not reachable at ${deadSocket} (ECONNREFUSED)`,
    },
    {
      name: 'ADD with a malformed runtimeConfig.ips and nobody on the socket',
      command: 'ADD',
      extra: {},
      stdin: conf('1.0.0', deadSocket, { runtimeConfig: { ips: '192.168.0.9/18' } }),
      code: 7,
      msg: 'runtimeConfig.ips must be a list',
    },
    {
      name: 'ADD with another IPAM type and nobody on the socket',
      command: 'ADD',
      extra: {},
      stdin: { ...conf('1.0.0', deadSocket), ipam: { type: 'static', agentSocket: deadSocket } },
      code: 7,
      msg: 'ipam.type must be "multi-nic-ipam", not "static"',
    },
    {
      name: 'STATUS with no agent',
      command: 'STATUS',
      extra: {},
      stdin: conf('1.1.0', absentSocket),
      code: 50,
      msg: 'not reachable',
    },
    {
      name: 'GC with no agent',
      command: 'GC',
      extra: {},
      stdin: conf('1.1.0', absentSocket),
      code: 11,
      msg: 'not reachable',
    },
  ])('$name → code $code', ({ command, extra, stdin, code, msg }) => {
    const out = runPlugin(BIN, { env: env(command, extra), stdin });
    expect(out.status).toBe(1);
    expect(out.json['code']).toBe(code);
    expect(String(out.json['msg'])).toContain(msg);
    expect(CniErrorSchema.safeParse(out.json).success).toBe(true);
    expect(out.stdout.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    { agent: 'no agent socket', socket: absentSocket, netns: '' },
    { agent: 'nobody on the socket', socket: deadSocket, netns: '/run/netns/none' },
  ])("DEL with $agent succeeds: nothing is on the node, the agent's pod GC releases", ({ socket, netns }) => {
    const out = runPlugin(BIN, { env: env('DEL', { CNI_NETNS: netns }), stdin: conf('1.0.0', socket) });
    expect({ status: out.status, stdout: out.stdout }).toEqual({ status: 0, stdout: '' });
    expect(out.stderr).toContain("the agent's pod garbage collector will release the addresses once the pod is gone");
  });
});
