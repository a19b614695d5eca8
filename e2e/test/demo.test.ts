// `pnpm demo` is the README's main job: the built program brings a cluster up, shows the pods and tears down, and
// its last line is the JSON summary.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { expect, it } from '@jest/globals';
import { ROOT } from '../src/cluster.js';
import { run } from '../src/sh.js';

it('the demo (2 hosts, 3 pods) prints the table and a JSON summary as its last line, and leaves no namespace behind', async () => {
  const before = (await run('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith('mn-e2e-')).length;
  const res = await run(process.execPath, [path.join(ROOT, 'e2e/dist/demo.js'), '--hosts', '2', '--pods', '3'], {
    timeoutMs: 240_000,
  });
  const lines = res.stdout.trim().split('\n');
  expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
  expect(lines.some((l) => /^POD\s+HOST\s+INTERFACE\s+NIC\s+ADDRESS/.test(l))).toBe(true);
  expect(JSON.parse(lines.at(-1) ?? '')).toEqual({ pods: 3, interfaces: 6, ping_ok: 12, ping_total: 12 });
  const after = (await run('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith('mn-e2e-')).length;
  expect(after).toBe(before);
});

it('`./run demo --keep` tears everything down on SIGTERM to the process the user started (issue 23, finding 8)', async () => {
  const count = async (): Promise<number> =>
    (await run('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith('mn-e2e-')).length;
  const before = await count();
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
    expect(await count()).toBeGreaterThan(before);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(err).toContain('interrupted: tearing down');
    expect(await count()).toBe(before);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}, 300_000);
