// `./run demo` is the README's main job: the built program brings a cluster up, applies the built-in example or the
// user's manifests (-f), shows the pods and tears down, and its last line is the JSON summary.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { expect, it } from '@jest/globals';
import { ROOT } from '../src/cluster.js';
import { run } from '../src/sh.js';

/** The network namespaces of the demo whose output this is (other tests may run clusters at the same time). */
async function netnsOf(output: string): Promise<string[]> {
  const id = /cluster ([0-9a-f]{6}): network namespaces/.exec(output)?.[1];
  if (id === undefined) throw new Error(`the demo printed no cluster id: ${output}`);
  return (await run('ip', ['netns', 'list'])).stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith('mn-e2e-') && n.endsWith(`-${id}`));
}

it('`demo -f DIR` applies the folder’s network and pods (one pinned by spec.nodeName, one in another namespace), prints the topology, the table and a JSON summary last, and leaves no namespace behind', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mn-demo-f-'));
  try {
    copyFileSync(path.join(ROOT, 'examples/macvlan-bridge.yaml'), path.join(dir, 'network.yaml'));
    const pod = (name: string, extra: { namespace?: string; nodeName?: string }): string =>
      [
        'apiVersion: v1',
        'kind: Pod',
        'metadata:',
        `  name: ${name}`,
        ...(extra.namespace === undefined ? [] : [`  namespace: ${extra.namespace}`]),
        '  annotations:',
        `    k8s.v1.cni.cncf.io/networks: '[{"name": "multinic-macvlan", "namespace": "default"}]'`,
        'spec:',
        ...(extra.nodeName === undefined ? [] : [`  nodeName: ${extra.nodeName}`]),
        '  containers: [{ name: app, image: registry.k8s.io/pause:3.10 }]',
      ].join('\n');
    writeFileSync(
      path.join(dir, 'pods.yaml'),
      [pod('web-1', {}), pod('web-2', { nodeName: 'host-1' }), pod('db-1', { namespace: 'team-a' })].join('\n---\n'),
    );
    const res = await run(process.execPath, [path.join(ROOT, 'e2e/dist/demo.js'), '-f', dir, '--hosts', '2'], {
      timeoutMs: 240_000,
    });
    const lines = res.stdout.trim().split('\n');
    expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\s+10\.10\.3\.0\/24 \(br3\): eth3, eth4 on each host/),
        expect.stringMatching(/^POD\s+HOST\s+INTERFACE\s+NIC\s+ADDRESS/),
        // round-robin: web-1 on host-1, db-1 on host-2; web-2 where its nodeName says
        expect.stringMatching(/^web-1\s+host-1\s+net1\s+eth1\s/),
        expect.stringMatching(/^web-2\s+host-1\s+net1\s+eth1\s/),
        expect.stringMatching(/^db-1\s+host-2\s+net1\s+eth1\s/),
      ]),
    );
    expect(JSON.parse(lines.at(-1) ?? '')).toEqual({
      pods: 3,
      interfaces: 6,
      ping_ok: 12,
      ping_total: 12,
      ping_ok_v4: 12,
      ping_total_v4: 12,
      ping_ok_v6: 0,
      ping_total_v6: 0,
    });
    expect(await netnsOf(res.stdout)).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('`./run demo --keep` tears everything down on SIGTERM to the process the user started (issue 23, finding 8)', async () => {
  const child = spawn(path.join(ROOT, 'run'), ['demo', '--keep', '--hosts', '2', '--pods', '2'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  try {
    // The JSON summary is printed once the cluster is up and kept.
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString('utf8');
        if (/^\{"pods":2,/m.test(out)) resolve();
      });
      void exited.then(() => reject(new Error(`./run demo exited before keeping the cluster: ${out}\n${err}`)));
    });
    // 2 hosts, the switch and 2 pods.
    expect(await netnsOf(out)).toHaveLength(5);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(err).toContain('interrupted: tearing down');
    expect(await netnsOf(out)).toEqual([]);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}, 300_000);
