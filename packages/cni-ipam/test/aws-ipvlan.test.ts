// `ipam.mode: "aws-ipvlan"` is specified but not implemented (AWS ENI support is a later issue). The real
// multi-nic-ipam executable, run as a runtime runs it: ADD and CHECK are refused with code 110 naming what is
// missing; DEL and GC succeed with no output, because the mode never assigned anything (the CNI spec: DEL must
// succeed when there is nothing to undo); STATUS says the plugin cannot serve ADD (code 50).
import { describe, expect, it } from '@jest/globals';
import { CniErrorSchema } from '@multinic/crd-types';
import { AWS_IPVLAN_NOT_IMPLEMENTED } from '../src/aws-ipvlan.js';
import * as publicApi from '../src/index.js';
import { executable, runPlugin } from './exec.js';

const BIN = executable('multi-nic-ipam');

const env = (command: string, extra: Record<string, string> = {}): Record<string, string> => ({
  CNI_COMMAND: command,
  CNI_CONTAINERID: 'c0ffee',
  CNI_NETNS: '/run/netns/none',
  CNI_IFNAME: 'net1',
  CNI_PATH: '/usr/lib/cni',
  CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_UID=uid-1',
  ...extra,
});

const conf = (cniVersion: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  cniVersion,
  name: 'multinic-aws',
  type: 'ipvlan',
  master: 'ens6',
  ipam: { type: 'multi-nic-ipam', mode: 'aws-ipvlan', subnetIDs: ['subnet-0abc'] },
  ...extra,
});

const prevResult = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'net1', sandbox: '/run/netns/none' }],
  ips: [{ address: '10.0.1.17/24', gateway: '10.0.1.1', interface: 0 }],
};

const MISSING =
  /^ipam\.mode "aws-ipvlan" is specified but not implemented yet: AWS ENI support \(.*EC2.*\) is a later issue; use the default mode/;

describe('multi-nic-ipam with ipam.mode "aws-ipvlan"', () => {
  it.each([
    { name: 'ADD 1.0.0', command: 'ADD', stdin: conf('1.0.0'), code: AWS_IPVLAN_NOT_IMPLEMENTED },
    { name: 'ADD 0.3.1', command: 'ADD', stdin: conf('0.3.1'), code: AWS_IPVLAN_NOT_IMPLEMENTED },
    {
      name: 'CHECK 1.0.0 with prevResult',
      command: 'CHECK',
      stdin: conf('1.0.0', { prevResult }),
      code: AWS_IPVLAN_NOT_IMPLEMENTED,
    },
    { name: 'STATUS 1.1.0 (cannot serve ADD)', command: 'STATUS', stdin: conf('1.1.0'), code: 50 },
  ])('$name → error JSON with code $code naming what is missing', ({ command, stdin, code }) => {
    const out = runPlugin(BIN, { env: env(command), stdin });
    expect(out.status).toBe(1);
    expect(CniErrorSchema.safeParse(out.json).success).toBe(true);
    expect(out.json).toEqual({ cniVersion: stdin['cniVersion'], code, msg: expect.stringMatching(MISSING) });
    expect(out.stdout.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    { name: 'DEL 1.0.0 without prevResult', command: 'DEL', extra: {}, stdin: conf('1.0.0') },
    { name: 'DEL 1.0.0 with prevResult', command: 'DEL', extra: {}, stdin: conf('1.0.0', { prevResult }) },
    {
      name: 'DEL 0.3.1 without CNI_NETNS (the namespace is gone)',
      command: 'DEL',
      extra: { CNI_NETNS: '' },
      stdin: conf('0.3.1'),
    },
    {
      name: 'DEL 1.1.0 with an unreadable prevResult',
      command: 'DEL',
      extra: {},
      stdin: conf('1.1.0', { prevResult: { ips: 'none' } }),
    },
    {
      name: 'GC 1.1.0 with valid attachments',
      command: 'GC',
      extra: { CNI_CONTAINERID: '', CNI_IFNAME: '', CNI_NETNS: '' },
      stdin: conf('1.1.0', { 'cni.dev/valid-attachments': [{ containerID: 'c0ffee', ifname: 'net1' }] }),
    },
    {
      name: 'GC 1.1.0 with no valid attachment',
      command: 'GC',
      extra: { CNI_CONTAINERID: '', CNI_IFNAME: '', CNI_NETNS: '' },
      stdin: conf('1.1.0', { 'cni.dev/valid-attachments': [] }),
    },
  ])('$name succeeds with no output: nothing to undo', ({ command, extra, stdin }) => {
    const out = runPlugin(BIN, { env: env(command, extra), stdin: { ...stdin, logLevel: 'debug' } });
    expect({ status: out.status, stdout: out.stdout }).toEqual({ status: 0, stdout: '' });
    expect(out.stderr).toMatch(new RegExp(`aws-ipvlan mode: ${command} has nothing to`));
  });

  it('DEL twice in a row succeeds both times (idempotent)', () => {
    const first = runPlugin(BIN, { env: env('DEL'), stdin: conf('1.0.0', { prevResult }) });
    const second = runPlugin(BIN, { env: env('DEL'), stdin: conf('1.0.0', { prevResult }) });
    expect([first.status, second.status, first.stdout, second.stdout]).toEqual([0, 0, '', '']);
  });

  it('GC before 1.1.0 is still refused by the skeleton (code 1), not by the mode', () => {
    const out = runPlugin(BIN, { env: env('GC'), stdin: conf('1.0.0') });
    expect(out.status).toBe(1);
    expect(out.json).toMatchObject({ code: 1, msg: expect.stringContaining('config version 1.0.0 does not allow GC') });
  });

  it('the public index exports nothing of the unimplemented mode', () => {
    expect(Object.keys(publicApi).filter((name) => /aws/i.test(name))).toEqual([]);
    expect(publicApi.IPAM_MODES).toContain('aws-ipvlan');
  });
});
