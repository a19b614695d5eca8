// multi-nic-ipam in host-local mode, the real single executable delegating to Debian's /usr/lib/cni/host-local.
// host-local needs no network namespace: it only writes its reservations under `dataDir` (a temp directory here).
import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AWS_IPVLAN_NOT_IMPLEMENTED } from '../src/aws-ipvlan.js';
import { executable, runPlugin } from './exec.js';

const BIN = executable('multi-nic-ipam');
const dir = mkdtempSync(path.join(tmpdir(), 'mn-cni-hl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pools = [
  { hostName: 'node1', interfaceName: 'eth1', podCIDR: '192.168.0.0/30', vlanCIDR: '192.168.0.0/18' },
  {
    hostName: 'node1',
    interfaceName: 'eth2',
    podCIDR: '192.168.64.0/26',
    vlanCIDR: '192.168.64.0/18',
    gateway: '192.168.64.1',
  },
];

const env = (command: string, containerId: string, extra: Record<string, string> = {}): Record<string, string> => ({
  CNI_COMMAND: command,
  CNI_CONTAINERID: containerId,
  CNI_NETNS: '/run/netns/none',
  CNI_IFNAME: 'net1',
  CNI_PATH: '/usr/lib/cni',
  CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0',
  ...extra,
});

function conf(options: {
  cniVersion: string;
  master: string;
  dataDir: string;
  ipam?: Record<string, unknown>;
  prevResult?: unknown;
}): Record<string, unknown> {
  return {
    cniVersion: options.cniVersion,
    name: 'net-hl',
    type: 'macvlan',
    master: options.master,
    ipam: {
      type: 'multi-nic-ipam',
      mode: 'host-local',
      hostName: 'node1',
      pools,
      dataDir: options.dataDir,
      ...options.ipam,
    },
    ...(options.prevResult === undefined ? {} : { prevResult: options.prevResult }),
  };
}

/** host-local's reservation files (one per address) of the network. */
function reserved(dataDir: string): string[] {
  const net = path.join(dataDir, 'net-hl');
  return existsSync(net)
    ? readdirSync(net)
        .filter((f) => /^\d/.test(f))
        .sort()
    : [];
}

describe('multi-nic-ipam host-local mode', () => {
  it("ADD hands out the planned range of this host and NIC through host-local; CHECK passes; DEL frees; a full range is host-local's error", () => {
    const dataDir = path.join(dir, 'a');
    const stdin = conf({ cniVersion: '1.0.0', master: 'eth1', dataDir });
    // 192.168.0.0/30 has two usable addresses, and host-local keeps the first of the subnet as its default gateway.
    const first = runPlugin(BIN, { env: env('ADD', 'c1'), stdin });
    expect({ status: first.status, stderr: first.stderr }).toEqual({ status: 0, stderr: '' });
    expect(first.json).toEqual({
      cniVersion: '1.0.0',
      ips: [{ address: '192.168.0.2/18', gateway: '192.168.0.1' }],
      dns: {},
    });
    expect(reserved(dataDir)).toEqual(['192.168.0.2']);
    const full = runPlugin(BIN, { env: env('ADD', 'c2'), stdin });
    expect(full.status).not.toBe(0);
    expect(String(full.json['msg'])).toMatch(/^host-local ADD net1: .*no IP addresses available/);
    const check = runPlugin(BIN, {
      env: env('CHECK', 'c1'),
      stdin: conf({ cniVersion: '1.0.0', master: 'eth1', dataDir, prevResult: first.json }),
    });
    expect({ status: check.status, stdout: check.stdout }).toEqual({ status: 0, stdout: '' });
    expect(runPlugin(BIN, { env: env('DEL', 'c1'), stdin }).status).toBe(0);
    expect(runPlugin(BIN, { env: env('DEL', 'c1'), stdin }).status).toBe(0);
    expect(reserved(dataDir)).toEqual([]);
    const check2 = runPlugin(BIN, {
      env: env('CHECK', 'c1'),
      stdin: conf({ cniVersion: '1.0.0', master: 'eth1', dataDir, prevResult: first.json }),
    });
    expect(check2.status).not.toBe(0);
    expect(String(check2.json['msg'])).toMatch(/^host-local CHECK net1: /);
    expect(runPlugin(BIN, { env: env('ADD', 'c2'), stdin }).json['ips']).toEqual([
      { address: '192.168.0.2/18', gateway: '192.168.0.1' },
    ]);
  });

  it.each([
    { version: '0.3.1', address: { version: '4', address: '192.168.64.2/18', gateway: '192.168.64.1' } },
    { version: '1.1.0', address: { address: '192.168.64.2/18', gateway: '192.168.64.1' } },
  ])('a $version configuration gets a $version result with the pool gateway', ({ version, address }) => {
    const dataDir = path.join(dir, `v${version}`);
    const out = runPlugin(BIN, { env: env('ADD', 'v'), stdin: conf({ cniVersion: version, master: 'eth2', dataDir }) });
    expect(out.json).toEqual({ cniVersion: version, ips: [address], dns: {} });
  });

  it('hostConfigs win over the plan for this host', () => {
    const dataDir = path.join(dir, 'hc');
    const hostConfigs = {
      hosts: { node1: { subnet: '10.7.0.0/24', rangeStart: '10.7.0.50', rangeEnd: '10.7.0.60', gateway: '10.7.0.1' } },
    };
    const out = runPlugin(BIN, {
      env: env('ADD', 'hc'),
      stdin: conf({ cniVersion: '1.0.0', master: 'eth1', dataDir, ipam: { hostConfigs } }),
    });
    expect(out.json['ips']).toEqual([{ address: '10.7.0.50/24', gateway: '10.7.0.1' }]);
  });

  it.each([
    {
      case: 'no range for this host',
      ipam: { hostName: 'node9' },
      code: 7,
      msg: /^no host-local range for host node9 interface eth1/,
    },
    {
      case: 'aws-ipvlan',
      ipam: { mode: 'aws-ipvlan' },
      code: AWS_IPVLAN_NOT_IMPLEMENTED,
      msg: /^ipam\.mode "aws-ipvlan" is specified but not implemented yet/,
    },
    { case: 'an unknown mode', ipam: { mode: 'dhcp' }, code: 7, msg: /^ipam\.mode "dhcp" is not one of/ },
  ])('refuses $case with code $code before touching anything', ({ ipam, code, msg }) => {
    const dataDir = path.join(dir, 'refused');
    const out = runPlugin(BIN, {
      env: env('ADD', 'r'),
      stdin: conf({ cniVersion: '1.0.0', master: 'eth1', dataDir, ipam }),
    });
    expect(out.status).not.toBe(0);
    expect(out.json).toMatchObject({ code, msg: expect.stringMatching(msg) });
    expect(existsSync(dataDir)).toBe(false);
  });

  it('STATUS (1.1.0) is ready when host-local is on CNI_PATH and code 50 when it is not', () => {
    const stdin = conf({ cniVersion: '1.1.0', master: 'eth1', dataDir: path.join(dir, 's') });
    expect(runPlugin(BIN, { env: env('STATUS', ''), stdin }).status).toBe(0);
    const missing = runPlugin(BIN, { env: env('STATUS', '', { CNI_PATH: dir }), stdin });
    expect(missing.json).toMatchObject({ code: 50, msg: expect.stringMatching(/failed to find plugin "host-local"/) });
  });
});
