import { describe, expect, it } from '@jest/globals';
import { CniFailure } from '@multinic/cni-skel';
import { podOf, podRequestOf } from './inputs.js';

const POD_ARGS = {
  IgnoreUnknown: '1',
  K8S_POD_NAME: 'web-0',
  K8S_POD_NAMESPACE: 'default',
  K8S_POD_UID: 'uid-1',
  K8S_POD_INFRA_CONTAINER_ID: 'c0ffee',
};

function thrown(fn: () => unknown): CniFailure {
  try {
    fn();
  } catch (err) {
    if (err instanceof CniFailure) return err;
    throw err;
  }
  throw new Error('expected a CniFailure');
}

describe('podOf', () => {
  it('reads the pod from CNI_ARGS', () => {
    expect(podOf(POD_ARGS)).toEqual({ name: 'web-0', namespace: 'default', uid: 'uid-1' });
  });

  it.each([
    { missing: ['K8S_POD_UID'] },
    { missing: ['K8S_POD_NAME', 'K8S_POD_NAMESPACE'] },
    { missing: ['K8S_POD_NAME', 'K8S_POD_NAMESPACE', 'K8S_POD_UID'] },
  ])('without $missing → code 4 naming them', ({ missing }) => {
    const args = Object.fromEntries(Object.entries(POD_ARGS).filter(([k]) => !missing.includes(k)));
    const err = thrown(() => podOf(args));
    expect(err.code).toBe(4);
    expect(err.message).toContain(`CNI_ARGS lacks ${missing.join(', ')}`);
  });
});

describe('podRequestOf', () => {
  it.each([
    { name: 'nothing asked', config: {}, args: {}, expected: {} },
    {
      name: 'Multus runtimeConfig',
      config: { runtimeConfig: { ips: ['192.168.0.9/18'], mac: '0a:58:00:00:00:01', deviceID: '0000:3b:00.2' } },
      args: {},
      expected: { ips: ['192.168.0.9/18'], mac: '0a:58:00:00:00:01', deviceIDs: ['0000:3b:00.2'] },
    },
    {
      name: 'several device ids',
      config: { runtimeConfig: { deviceID: '0000:3b:00.2, 0000:3b:00.3' } },
      args: {},
      expected: { deviceIDs: ['0000:3b:00.2', '0000:3b:00.3'] },
    },
    {
      name: "Multus' top-level deviceID/pciBusID (NAD without the deviceID capability)",
      config: { deviceID: '0000:3b:00.2', pciBusID: '0000:3b:00.2' },
      args: {},
      expected: { deviceIDs: ['0000:3b:00.2'] },
    },
    {
      name: 'pciBusID alone',
      config: { pciBusID: '0000:3b:00.4' },
      args: {},
      expected: { deviceIDs: ['0000:3b:00.4'] },
    },
    {
      name: 'runtimeConfig.deviceID wins over the top-level one',
      config: { runtimeConfig: { deviceID: '0000:3b:00.2' }, deviceID: '0000:3b:00.9' },
      args: {},
      expected: { deviceIDs: ['0000:3b:00.2'] },
    },
    {
      name: 'what Multus v4 hands a NAD with capabilities: runtimeConfig, top level, and the same in CNI_ARGS',
      config: {
        capabilities: { ips: true, mac: true, deviceID: true },
        runtimeConfig: {
          ips: ['192.168.0.9/18'],
          mac: '0a:58:00:00:00:01',
          deviceID: '0000:3b:00.2',
          CNIDeviceInfoFile: '/var/run/k8s.cni.cncf.io/devinfo/cni/x',
        },
        deviceID: '0000:3b:00.2',
        pciBusID: '0000:3b:00.2',
      },
      args: { IP: '192.168.0.9/18', MAC: '0a:58:00:00:00:01' },
      expected: { ips: ['192.168.0.9/18'], mac: '0a:58:00:00:00:01', deviceIDs: ['0000:3b:00.2'] },
    },
    {
      name: 'CNI_ARGS IP and MAC when runtimeConfig has none',
      config: {},
      args: { IP: '192.168.0.9,192.168.64.9', MAC: '0a:58:00:00:00:02' },
      expected: { ips: ['192.168.0.9', '192.168.64.9'], mac: '0a:58:00:00:00:02' },
    },
    {
      name: 'runtimeConfig wins over CNI_ARGS',
      config: { runtimeConfig: { ips: ['10.0.0.1/24'] } },
      args: { IP: '10.0.0.2' },
      expected: { ips: ['10.0.0.1/24'] },
    },
    {
      name: 'cni-args',
      config: { args: { cni: { nics: 2, masters: ['eth1'], class: 'fast', target: '200' } } },
      args: {},
      expected: { cniArgs: { nics: 2, masters: ['eth1'], class: 'fast', target: '200' } },
    },
    { name: 'args without cni', config: { args: { other: {} } }, args: {}, expected: {} },
  ])('$name', ({ config, args, expected }) => {
    expect(podRequestOf(config, args)).toEqual(expected);
  });

  it.each([
    {
      name: 'ips not a list',
      config: { runtimeConfig: { ips: '10.0.0.1' } },
      msg: 'runtimeConfig.ips must be a list of addresses',
    },
    {
      name: 'mac not a string',
      config: { runtimeConfig: { mac: 42 } },
      msg: 'runtimeConfig.mac must be a string, not 42',
    },
    { name: 'runtimeConfig not an object', config: { runtimeConfig: [] }, msg: 'runtimeConfig must be an object' },
    { name: 'top-level deviceID not a string', config: { deviceID: 7 }, msg: 'deviceID must be a string' },
    { name: 'args.cni not an object', config: { args: { cni: 'nics=2' } }, msg: 'args.cni must be an object' },
    {
      name: 'args.cni.nics zero (read as the agent reads it)',
      config: { args: { cni: { nics: 0 } } },
      msg: 'args.cni.nics must be a positive whole number of NICs, got 0',
    },
    {
      name: 'args.cni.masters not names',
      config: { args: { cni: { masters: [1] } } },
      msg: 'args.cni.masters must be a list of interface names',
    },
    {
      name: 'args.cni.class not a string',
      config: { args: { cni: { class: 5 } } },
      msg: 'args.cni.class must be a string',
    },
  ])('$name → code 7', ({ config, msg }) => {
    const err = thrown(() => podRequestOf(config, {}));
    expect(err.code).toBe(7);
    expect(err.message).toContain(msg);
  });
});
