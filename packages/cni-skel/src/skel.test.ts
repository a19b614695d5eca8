import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CNI_SPEC_VERSIONS, CniErrorSchema } from '@multinic/crd-types';
import { CniFailure } from './errors.js';
import { configFor, envFor, runSkel, RESULT_110 } from '../test/harness.js';

const ATTACHMENT_VARS = ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'];

describe('environment per command', () => {
  it.each([
    { command: 'ADD', missing: 'CNI_CONTAINERID' },
    { command: 'ADD', missing: 'CNI_NETNS' },
    { command: 'ADD', missing: 'CNI_IFNAME' },
    { command: 'ADD', missing: 'CNI_PATH' },
    { command: 'CHECK', missing: 'CNI_CONTAINERID' },
    { command: 'CHECK', missing: 'CNI_NETNS' },
    { command: 'CHECK', missing: 'CNI_IFNAME' },
    { command: 'CHECK', missing: 'CNI_PATH' },
    { command: 'DEL', missing: 'CNI_CONTAINERID' },
    { command: 'DEL', missing: 'CNI_IFNAME' },
    { command: 'DEL', missing: 'CNI_PATH' },
    { command: 'GC', missing: 'CNI_PATH' },
  ])('$command without $missing → code 4 naming it, handler not called', async ({ command, missing }) => {
    const out = await runSkel({ env: envFor(command, { [missing]: undefined }), stdin: configFor('1.1.0') });
    expect(out.code).toBe(1);
    expect(out.json).toMatchObject({ code: 4, cniVersion: '1.1.0' });
    expect(out.json['msg']).toBe(`required environment variables missing: ${missing}`);
    expect(out.calls).toEqual([]);
  });

  it('names every missing variable at once', async () => {
    const env = envFor('ADD', Object.fromEntries(ATTACHMENT_VARS.map((v) => [v, ''])));
    const out = await runSkel({ env, stdin: configFor('1.0.0') });
    expect(out.json['msg']).toBe(
      'required environment variables missing: CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_PATH',
    );
  });

  it.each([
    { command: 'DEL', unset: ['CNI_NETNS'] },
    { command: 'GC', unset: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'] },
    { command: 'STATUS', unset: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'] },
  ])('$command runs without $unset', async ({ command, unset }) => {
    const env = envFor(command, Object.fromEntries(unset.map((v) => [v, undefined])));
    const out = await runSkel({ env, stdin: configFor('1.1.0', { 'cni.dev/valid-attachments': [] }) });
    expect(out.stdout).toBe('');
    expect(out.code).toBe(0);
    expect(out.calls.map((c) => c.command)).toEqual([command]);
  });

  it('without CNI_COMMAND: code 4, and the plugin introduces itself on stderr', async () => {
    const out = await runSkel({ env: { PATH: '/bin' } });
    expect(out.json).toMatchObject({ code: 4, msg: 'required environment variables missing: CNI_COMMAND' });
    expect(out.stderr).toContain('CNI plugin test-plugin v9.9.9');
  });

  it.each([
    { name: 'unknown command', extra: { CNI_COMMAND: 'GET' }, msg: 'unknown CNI_COMMAND "GET"' },
    {
      name: 'interface name too long',
      extra: { CNI_IFNAME: 'a-very-long-ifname' },
      msg: 'CNI_IFNAME "a-very-long-ifname" is 18 characters long',
    },
    { name: 'interface name with a slash', extra: { CNI_IFNAME: 'net/1' }, msg: "may not contain '/'" },
    {
      name: 'container id with a space',
      extra: { CNI_CONTAINERID: 'bad id' },
      msg: 'CNI_CONTAINERID "bad id" is invalid',
    },
    {
      name: 'CNI_ARGS entry without =',
      extra: { CNI_ARGS: 'K8S_POD_NAME=p;oops' },
      msg: 'CNI_ARGS: "oops" is not KEY=VALUE',
    },
  ])('$name → code 4', async ({ extra, msg }) => {
    const out = await runSkel({ env: envFor('ADD', extra), stdin: configFor('1.0.0') });
    expect(out.json['code']).toBe(4);
    expect(out.json['msg']).toContain(msg);
    expect(out.calls).toEqual([]);
  });

  it.each([
    { command: 'ADD', netns: '/proc/self/ns/net', code: 4 },
    { command: 'CHECK', netns: '/proc/self/ns/net', code: 4 },
    { command: 'DEL', netns: '/proc/self/ns/net', code: 4 },
    { command: 'DEL', netns: '/run/netns/pod', code: 0 },
    { command: 'GC', netns: '/proc/self/ns/net', code: 0 },
    { command: 'STATUS', netns: '/proc/self/ns/net', code: 0 },
  ])(
    '$command with CNI_NETNS $netns when the plugin runs in /proc/self/ns/net → code $code',
    async ({ command, netns, code }) => {
      const prevResult = { cniVersion: '1.1.0', interfaces: [], ips: [] };
      const out = await runSkel({
        env: envFor(command, { CNI_NETNS: netns }),
        stdin: configFor('1.1.0', { prevResult, 'cni.dev/valid-attachments': [] }),
        ownNetns: '/proc/self/ns/net',
      });
      if (code === 0) {
        expect({ code: out.code, calls: out.calls.map((c) => c.command) }).toEqual({ code: 0, calls: [command] });
      } else {
        expect(out.json).toMatchObject({
          code,
          msg: 'CNI_NETNS "/proc/self/ns/net" is the network namespace this plugin runs in (the host\'s), not a pod\'s: nothing was done inside it',
        });
        expect(out.calls).toEqual([]);
      }
    },
  );

  it('handlers get typed arguments and an environment without the CNI_ variables', async () => {
    const out = await runSkel({ env: envFor('ADD'), stdin: configFor('1.0.0') });
    const call = out.calls[0];
    expect(call?.args).toMatchObject({
      containerId: 'c0ffee',
      netns: '/run/netns/pod',
      ifname: 'net1',
      path: ['/opt/cni/bin', '/usr/lib/cni'],
      args: { IgnoreUnknown: '1', K8S_POD_NAMESPACE: 'default', K8S_POD_NAME: 'p', K8S_POD_UID: 'u-1' },
      cniVersion: '1.0.0',
      name: 'net-a',
    });
    expect(call?.ctx.environ).toEqual({ PATH: '/usr/sbin:/usr/bin' });
  });
});

describe('configuration decoding and version negotiation', () => {
  it.each([
    { name: 'empty stdin', stdin: '', code: 6, msg: 'no network configuration on stdin' },
    { name: 'not JSON', stdin: '{"cniVersion": "1.0.0",', code: 6, msg: 'is not valid JSON' },
    { name: 'a JSON list', stdin: '[]', code: 6, msg: 'must be a JSON object' },
    { name: 'no cniVersion', stdin: '{"name":"n"}', code: 1, msg: 'has no cniVersion' },
    {
      name: 'version 0.2.0',
      stdin: configFor('0.2.0'),
      code: 1,
      msg: 'config is "0.2.0", this plugin supports 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0',
    },
    { name: 'version 2.0.0', stdin: configFor('2.0.0'), code: 1, msg: 'incompatible CNI versions' },
    { name: 'no name', stdin: '{"cniVersion":"1.0.0"}', code: 7, msg: 'missing network name' },
    { name: 'a bad name', stdin: '{"cniVersion":"1.0.0","name":"-x y"}', code: 7, msg: 'network name "-x y"' },
  ])('ADD with $name → code $code', async ({ stdin, code, msg }) => {
    const out = await runSkel({ env: envFor('ADD'), stdin });
    expect(out.code).toBe(1);
    expect(out.json['code']).toBe(code);
    expect(out.json['msg']).toContain(msg);
    expect(out.calls).toEqual([]);
  });

  const matrix = ['ADD', 'DEL', 'CHECK', 'GC', 'STATUS'].flatMap((command) =>
    CNI_SPEC_VERSIONS.map((version) => ({ command, version })),
  );
  const allowed = (command: string, version: string): boolean => {
    const at = CNI_SPEC_VERSIONS.indexOf(version as (typeof CNI_SPEC_VERSIONS)[number]);
    if (command === 'CHECK') return at >= CNI_SPEC_VERSIONS.indexOf('0.4.0');
    if (command === 'GC' || command === 'STATUS') return at >= CNI_SPEC_VERSIONS.indexOf('1.1.0');
    return true;
  };

  it.each(matrix)('$command with a $version config', async ({ command, version }) => {
    const stdin = configFor(version, {
      prevResult: {
        cniVersion: version,
        ...(version < '1.0.0' ? { ips: [{ version: '4', address: '10.1.0.5/24' }] } : {}),
      },
      'cni.dev/valid-attachments': [],
    });
    const out = await runSkel({ env: envFor(command), stdin });
    if (allowed(command, version)) {
      expect(out.calls.map((c) => c.command)).toEqual([command]);
      expect(out.code).toBe(0);
    } else {
      expect(out.calls).toEqual([]);
      expect(out.json).toMatchObject({ cniVersion: version, code: 1 });
      expect(out.json['msg']).toContain(`config version ${version} does not allow ${command}`);
    }
  });

  it('VERSION needs no configuration and reads no stdin', async () => {
    const out = await runSkel({ env: { CNI_COMMAND: 'VERSION' }, stdin: 'not json at all' });
    expect(out.code).toBe(0);
    expect(out.stdinRead).toBe(false);
    expect(out.json).toEqual({ cniVersion: '1.1.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
  });

  it('--version prints the plugin version and the protocol versions', async () => {
    const out = await runSkel({ env: {}, argv: ['--version'] });
    expect(out.code).toBe(0);
    expect(out.stdout).toBe(
      'CNI plugin test-plugin v9.9.9\nCNI protocol versions supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0\n',
    );
  });
});

describe('results in the configuration version', () => {
  it.each([
    { version: '0.3.0', ipVersion: '4', mtu: false, table: false },
    { version: '0.3.1', ipVersion: '4', mtu: false, table: false },
    { version: '0.4.0', ipVersion: '4', mtu: false, table: false },
    { version: '1.0.0', ipVersion: undefined, mtu: false, table: false },
    { version: '1.1.0', ipVersion: undefined, mtu: true, table: true },
  ])('ADD on $version prints a $version result', async ({ version, ipVersion, mtu, table }) => {
    const out = await runSkel({ env: envFor('ADD'), stdin: configFor(version), result: RESULT_110 });
    expect(out.code).toBe(0);
    const json = out.json as {
      cniVersion: string;
      interfaces: { mtu?: number; sandbox?: string }[];
      ips: { version?: string; interface?: number }[];
      routes: { table?: number }[];
    };
    expect(json.cniVersion).toBe(version);
    expect(json.ips[0]?.version).toBe(ipVersion);
    expect(json.ips[0]?.interface).toBe(0);
    expect(json.interfaces[0]?.sandbox).toBe('/run/netns/pod');
    expect(json.interfaces[0]?.mtu !== undefined).toBe(mtu);
    expect(json.routes[0]?.table !== undefined).toBe(table);
    expect(out.stdout.endsWith('\n')).toBe(true);
  });

  it('an invalid result from a handler is an error, not garbage on stdout', async () => {
    const result = { cniVersion: '1.0.0' as const, interfaces: [], ips: [{ address: '10.0.0.1/24', interface: 3 }] };
    const out = await runSkel({ env: envFor('ADD'), stdin: configFor('1.0.0'), result });
    expect(out.code).toBe(1);
    expect(out.json['msg']).toContain('the plugin produced an invalid result');
    expect(String(out.json['details'])).toContain('ips[0].interface');
  });
});

describe('errors and logs', () => {
  it.each([
    {
      name: 'a CniFailure keeps its code',
      fail: new CniFailure({ code: 11, msg: 'agent starting', details: 'retry' }),
      code: 11,
      msg: 'agent starting',
    },
    {
      name: 'any other error is 999',
      fail: new Error('boom', { cause: new Error('root cause') }),
      code: 999,
      msg: 'boom',
    },
    { name: 'a thrown string is 999', fail: 'weird', code: 999, msg: 'unexpected failure: weird' },
  ])('$name', async ({ fail, code, msg }) => {
    const out = await runSkel({ env: envFor('ADD'), stdin: configFor('0.4.0'), fail });
    expect(out.code).toBe(1);
    expect(out.json).toMatchObject({ cniVersion: '0.4.0', code, msg });
    expect(CniErrorSchema.safeParse(out.json).success).toBe(true);
  });

  it('logs go to stderr by default and never to stdout', async () => {
    const out = await runSkel({
      env: envFor('DEL'),
      stdin: configFor('1.0.0'),
      fail: new CniFailure({ code: 11, msg: 'later' }),
    });
    expect(out.stdout.trim().split('\n')).toHaveLength(1);
    const line = JSON.parse(out.stderr) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 'error',
      msg: 'DEL failed',
      code: 11,
      plugin: 'test-plugin',
      containerID: 'c0ffee',
      time: '1970-01-01T00:00:00.000Z',
    });
  });

  it('logFile and logLevel in the configuration send every line at that level to the file', async () => {
    const out = await runSkel({
      env: envFor('ADD'),
      stdin: configFor('1.0.0', { logFile: '/var/log/multinic.log', logLevel: 'debug' }),
    });
    expect(out.stderr).toBe('');
    expect(out.files['/var/log/multinic.log']).toContain('"msg":"ADD done"');
    expect(out.files['/var/log/multinic.log']).not.toContain('uptimeMs');
  });

  it('every line carries uptimeMs when the io knows the process uptime (where an invocation spent its time)', async () => {
    const out = await runSkel({
      env: envFor('ADD'),
      stdin: configFor('1.0.0', { logFile: '/var/log/multinic.log', logLevel: 'debug' }),
      uptimeMs: 41.26,
    });
    const lines = (out.files['/var/log/multinic.log'] ?? '')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l['msg'], l['uptimeMs']])).toEqual([
      ['ADD started', 41.3],
      ['ADD done', 41.3],
    ]);
  });

  it('DEL hands over prevResult; an unreadable one is dropped with a warning', async () => {
    const good = await runSkel({
      env: envFor('DEL'),
      stdin: configFor('1.0.0', { prevResult: { cniVersion: '1.0.0', ips: [{ address: '10.1.0.5/24' }] } }),
    });
    expect(good.calls[0]?.args).toMatchObject({
      prevResult: { cniVersion: '1.0.0', ips: [{ address: '10.1.0.5/24' }] },
    });
    const bad = await runSkel({
      env: envFor('DEL'),
      stdin: configFor('1.0.0', { prevResult: { cniVersion: '1.0.0', ips: [{ address: 'nope' }] } }),
    });
    expect(bad.code).toBe(0);
    expect(bad.calls[0]?.args).toMatchObject({ prevResult: undefined });
    expect(bad.stderr).toContain('ignoring an unreadable prevResult');
  });

  it.each([
    { name: 'CHECK without prevResult', command: 'CHECK', extra: {}, code: 7, msg: 'CHECK needs prevResult' },
    {
      name: 'CHECK with a broken prevResult',
      command: 'CHECK',
      extra: { prevResult: { cniVersion: '1.0.0', ips: [{ address: 'x' }] } },
      code: 6,
      msg: 'prevResult: invalid CNI result',
    },
    {
      name: 'GC without valid attachments',
      command: 'GC',
      extra: {},
      code: 7,
      msg: 'GC needs "cni.dev/valid-attachments"',
    },
    {
      name: 'GC with a bad attachment',
      command: 'GC',
      extra: { 'cni.dev/valid-attachments': [{ containerID: 'c' }] },
      code: 7,
      msg: '[0].ifname: is required',
    },
  ])('$name → code $code', async ({ command, extra, code, msg }) => {
    const out = await runSkel({ env: envFor(command), stdin: configFor('1.1.0', extra) });
    expect(out.json['code']).toBe(code);
    expect(out.json['msg']).toContain(msg);
    expect(out.calls).toEqual([]);
  });

  it('GC hands over the valid attachments', async () => {
    const attachments = [{ containerID: 'c1', ifname: 'net1' }];
    const out = await runSkel({
      env: envFor('GC'),
      stdin: configFor('1.1.0', { 'cni.dev/valid-attachments': attachments }),
    });
    expect(out.calls[0]?.args).toMatchObject({ validAttachments: attachments, name: 'net-a' });
  });

  it('whatever arrives on stdin, stdout carries exactly one JSON document: a result or a spec error', async () => {
    const stdin = fc.oneof(
      fc.string(),
      fc.json(),
      fc
        .record({
          cniVersion: fc.constantFrom('0.3.1', '1.0.0', '1.1.0', '0.1.0', ''),
          name: fc.oneof(fc.constant('net-a'), fc.string()),
        })
        .map((o) => JSON.stringify(o)),
    );
    await fc.assert(
      fc.asyncProperty(stdin, fc.constantFrom('ADD', 'DEL', 'CHECK', 'GC', 'STATUS'), async (text, command) => {
        const out = await runSkel({ env: envFor(command), stdin: text });
        if (out.code === 0) {
          expect(out.calls).toHaveLength(1);
          return;
        }
        expect(out.stdout.trim().split('\n')).toHaveLength(1);
        expect(CniErrorSchema.safeParse(out.json).success).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
