import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CniFailure } from '../src/errors.js';
import { findPlugin, invokeDelegate } from '../src/invoke.js';

// The Debian reference plugins (containernetworking-plugins) are the delegates in production; small shell
// scripts stand in for plugins that misbehave in ways the reference plugins never do.
const REFERENCE = '/usr/lib/cni';

let dir = '';

function script(name: string, body: string): void {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mn-cni-invoke-'));
  script(
    'env-echo',
    'cat >/dev/null; printf \'{"cmd":"%s","ifname":"%s","args":"%s","path":"%s","home":"%s","leak":"%s"}\' "$CNI_COMMAND" "$CNI_IFNAME" "$CNI_ARGS" "$CNI_PATH" "$HOME" "$CNI_LEAK"',
  );
  script('stdin-echo', 'cat');
  script('not-json', 'echo hello');
  script('silent', 'exit 0');
  script('crash', 'echo "panic: nil map" >&2; exit 2');
  script('slow', 'sleep 5');
  writeFileSync(path.join(dir, 'not-executable'), 'echo');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function failure(promise: Promise<unknown>): Promise<CniFailure> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof CniFailure) return err;
    throw err;
  }
  throw new Error('expected a CniFailure');
}

describe('findPlugin', () => {
  it('takes the first directory of CNI_PATH that has an executable of that name', () => {
    expect(findPlugin('macvlan', ['/nonexistent', REFERENCE])).toBe(`${REFERENCE}/macvlan`);
    expect(findPlugin('crash', [dir, REFERENCE])).toBe(path.join(dir, 'crash'));
  });

  it.each([
    { type: 'sriov', dirs: [REFERENCE], msg: `failed to find plugin "sriov" in CNI_PATH [${REFERENCE}]` },
    { type: 'not-executable', dirs: ['(tmp)'], msg: 'failed to find plugin "not-executable"' },
    { type: '../bin/sh', dirs: [REFERENCE], msg: 'plugin type "../bin/sh" is not an executable name' },
  ])('$type → code 7', ({ type, dirs, msg }) => {
    let err: unknown;
    try {
      findPlugin(
        type,
        dirs.map((d) => (d === '(tmp)' ? dir : d)),
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CniFailure);
    expect((err as CniFailure).code).toBe(7);
    expect((err as CniFailure).message).toContain(msg);
  });
});

describe('invokeDelegate with the reference plugins', () => {
  it('VERSION of macvlan lists the versions it speaks', async () => {
    const out = (await invokeDelegate({
      type: 'macvlan',
      command: 'VERSION',
      config: { cniVersion: '1.0.0' },
      path: [REFERENCE],
    })) as { supportedVersions: string[] };
    expect(out.supportedVersions).toEqual(expect.arrayContaining(['0.3.1', '0.4.0', '1.0.0']));
  });

  it('static IPAM ADD returns its result', async () => {
    const config = {
      cniVersion: '1.0.0',
      name: 'n',
      type: 'static',
      ipam: { type: 'static', addresses: [{ address: '10.9.0.4/24' }] },
    };
    const out = await invokeDelegate({
      type: 'static',
      command: 'ADD',
      config,
      path: [REFERENCE],
      containerId: 'c1',
      netns: '/run/netns/none',
      ifname: 'net1-0',
    });
    expect(out).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.9.0.4/24' }], dns: {} });
  });

  it("a delegate's error keeps its code and message", async () => {
    const config = { cniVersion: '9.9.9', name: 'n', type: 'static' };
    const err = await failure(
      invokeDelegate({
        type: 'static',
        command: 'ADD',
        config,
        path: [REFERENCE],
        containerId: 'c1',
        netns: '/run/netns/none',
        ifname: 'net1-0',
      }),
    );
    expect(err.code).toBe(1);
    expect(err.message).toBe('static ADD net1-0: incompatible CNI versions');
    expect(err.details).toContain('config is "9.9.9"');
  });
});

describe('invokeDelegate protocol edges', () => {
  it('passes the CNI variables, keeps the non-CNI environment and drops inherited CNI_ variables', async () => {
    const out = await invokeDelegate({
      type: 'env-echo',
      command: 'DEL',
      config: {},
      path: [dir, REFERENCE],
      ifname: 'net1-1',
      args: 'IgnoreUnknown=1;K8S_POD_NAME=p',
      environ: { HOME: '/root', CNI_LEAK: 'parent' },
    });
    expect(out).toEqual({
      cmd: 'DEL',
      ifname: 'net1-1',
      args: 'IgnoreUnknown=1;K8S_POD_NAME=p',
      path: `${dir}:${REFERENCE}`,
      home: '/root',
      leak: '',
    });
  });

  it('writes the configuration to stdin as JSON', async () => {
    const config = { cniVersion: '1.0.0', name: 'x', nested: { list: [1, 2] } };
    expect(await invokeDelegate({ type: 'stdin-echo', command: 'ADD', config, path: [dir] })).toEqual(config);
  });

  it('nothing on stdout is undefined (DEL)', async () => {
    expect(await invokeDelegate({ type: 'silent', command: 'DEL', config: {}, path: [dir] })).toBeUndefined();
  });

  it.each([
    { type: 'not-json', code: 6, msg: 'not-json ADD printed something that is not JSON' },
    { type: 'crash', code: 999, msg: 'crash ADD exited with 2 without a CNI error', details: 'panic: nil map' },
  ])('$type → code $code', async ({ type, code, msg, details }) => {
    const err = await failure(invokeDelegate({ type, command: 'ADD', config: {}, path: [dir] }));
    expect(err.code).toBe(code);
    expect(err.message).toContain(msg);
    if (details !== undefined) expect(err.details).toBe(details);
  });

  it('a delegate that does not answer is killed after the timeout', async () => {
    const err = await failure(
      invokeDelegate({ type: 'slow', command: 'ADD', config: {}, path: [dir], timeoutMs: 200 }),
    );
    expect(err.code).toBe(999);
    expect(err.message).toBe('slow ADD: no answer after 0.2 s; killed');
  });
});
