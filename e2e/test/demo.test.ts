// `pnpm demo` is the README's main job: the built program brings a cluster up, shows the pods and tears down, and
// its last line is the JSON summary.
import * as path from 'node:path';
import { expect, it } from '@jest/globals';
import { ROOT } from '../src/cluster.js';
import { run } from '../src/sh.js';

it('the demo (2 hosts, 3 pods) prints the table and a JSON summary as its last line, and leaves no namespace behind', async () => {
  const before = (await run('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith('mn-e2e-')).length;
  const res = await run(process.execPath, [path.join(ROOT, 'e2e/dist/demo.js'), '--hosts', '2', '--pods', '3'], { timeoutMs: 240_000 });
  const lines = res.stdout.trim().split('\n');
  expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
  expect(lines.some((l) => /^POD\s+HOST\s+INTERFACE\s+NIC\s+ADDRESS/.test(l))).toBe(true);
  expect(JSON.parse(lines.at(-1) ?? '')).toEqual({ pods: 3, interfaces: 6, ping_ok: 12, ping_total: 12 });
  const after = (await run('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith('mn-e2e-')).length;
  expect(after).toBe(before);
});
