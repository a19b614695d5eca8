// Every example runs or says why not (issue 14, item 2): each file in examples/ either runs with `./run demo -f`
// (the built demo, one control plane per runnable example, every ping answered) and says so in its header, or says
// in its header why it cannot run here and passes `multinic validate`, which runs the controller's own checks.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { runCli } from '@multinic/cli';
import { ROOT } from '../src/cluster.js';
import { run } from '../src/sh.js';

const EXAMPLES = path.join(ROOT, 'examples');
const DEMO = path.join(ROOT, 'e2e/dist/demo.js');

/** The examples the demo runs, with its arguments (2 hosts keep it short; host-device needs a spare NIC per pod). */
const RUNNABLE: Record<string, readonly string[]> = {
  'macvlan-bridge.yaml': ['--hosts', '2', '--pods', '3'],
  'host-device.yaml': ['--hosts', '2', '--pods', '4'],
  'ipv6.yaml': ['--hosts', '2', '--pods', '3'],
  'dual-stack.yaml': ['--hosts', '2', '--pods', '3'],
};

/** The address families each runnable example's pods are pinged over (the JSON line counts each). */
const FAMILIES: Record<string, readonly ('v4' | 'v6')[]> = {
  'macvlan-bridge.yaml': ['v4'],
  'host-device.yaml': ['v4'],
  'ipv6.yaml': ['v6'],
  'dual-stack.yaml': ['v4', 'v6'],
};

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return yamlFiles(full);
    return name.endsWith('.yaml') ? [path.relative(EXAMPLES, full)] : [];
  });
}

/** The leading comment block of a file, joined into one line. */
function header(file: string): string {
  const lines = readFileSync(path.join(EXAMPLES, file), 'utf8').split('\n');
  const end = lines.findIndex((l) => !l.startsWith('#'));
  return lines
    .slice(0, end)
    .map((l) => l.replace(/^#\s?/, ''))
    .join(' ');
}

async function validate(file: string): Promise<{ status: number; out: string }> {
  let out = '';
  const status = await runCli({
    argv: ['validate', '-f', path.join(EXAMPLES, file)],
    out: (t) => (out += t),
    err: (t) => (out += t),
    readFile: (f) => Promise.resolve(readFileSync(f, 'utf8')),
  });
  return { status, out };
}

const files = yamlFiles(EXAMPLES);
const notRunnable = files.filter((f) => RUNNABLE[f] === undefined);

describe('every example runs or says why not', () => {
  it('lists every runnable example here, and only files that exist', () => {
    expect(files).toEqual(expect.arrayContaining(Object.keys(RUNNABLE)));
    for (const file of files)
      expect({ file, says: header(file) }).toEqual({
        file,
        says:
          RUNNABLE[file] === undefined
            ? expect.stringMatching(/Not runnable in \.\/run demo: \S.{10,}/)
            : expect.stringContaining(`Runs locally: ./run demo -f examples/${file}`),
      });
  });

  it.each(notRunnable)('%s passes `multinic validate` (the controller’s checks)', async (file) => {
    const { status, out } = await validate(file);
    expect({ status, out }).toEqual({ status: 0, out: expect.not.stringMatching(/invalid/) as unknown });
  });

  it.each(Object.entries(RUNNABLE))(
    '%s runs in the demo: every pod gets its interfaces and every ping is answered',
    async (file, args) => {
      const res = await run(process.execPath, [DEMO, '-f', path.join(EXAMPLES, file), ...args], {
        timeoutMs: 280_000,
      });
      const lines = res.stdout.trim().split('\n');
      expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
      const summary = JSON.parse(lines.at(-1) ?? '') as Record<string, number>;
      expect(summary['pods']).toBe(Number(args[args.indexOf('--pods') + 1]));
      expect(summary['interfaces']).toBeGreaterThanOrEqual(summary['pods'] ?? Infinity);
      expect(summary['ping_total']).toBeGreaterThan(0);
      expect(summary['ping_ok']).toBe(summary['ping_total']);
      // Each family's pings are all answered, and only the example's families are pinged.
      const families = FAMILIES[file] ?? [];
      expect(
        Object.fromEntries(
          (['v4', 'v6'] as const).map((f) => [
            f,
            { ok: summary[`ping_ok_${f}`], used: summary[`ping_total_${f}`] !== 0 },
          ]),
        ),
      ).toEqual(
        Object.fromEntries(
          (['v4', 'v6'] as const).map((f) => [f, { ok: summary[`ping_total_${f}`], used: families.includes(f) }]),
        ),
      );
      expect((summary['ping_total_v4'] ?? 0) + (summary['ping_total_v6'] ?? 0)).toBe(summary['ping_total']);
      expect(lines.some((l) => /^POD\s+HOST\s+INTERFACE\s+NIC\s+ADDRESS/.test(l))).toBe(true);
      // The demo reads the IPPools after the pods are up: an interface in no live IPPool (a pool deleted under its
      // pod, as host-device's once were) would be listed apart here.
      expect(res.stdout).not.toMatch(/Other secondary interfaces/);
    },
    300_000,
  );
});

describe('the demo refuses what it cannot run, before starting anything (exit 2)', () => {
  it.each([
    {
      case: 'masterNets on no NIC of the topology',
      file: 'plan/network.yaml',
      message:
        /MultiNicNetwork multinic-sample: masterNets \[10\.0\.1\.0\/24, 10\.0\.2\.0\/24\] match no NIC of the demo's hosts; the NIC networks that exist are 10\.10\.1\.0\/24, 10\.10\.2\.0\/24, 10\.10\.3\.0\/24/,
    },
    {
      case: 'a kind it does not apply',
      file: 'plan/hosts.yaml',
      message:
        /examples\/plan\/hosts\.yaml \(document 1\): kind HostInterface \(apiVersion multinic\.dev\/v1\) is not one the demo applies/,
    },
  ])('$case', async ({ file, message }) => {
    const res = await run(process.execPath, [DEMO, '-f', path.join(EXAMPLES, file)], { timeoutMs: 30_000 });
    expect({ code: res.code, stdout: res.stdout }).toEqual({ code: 2, stdout: '' });
    expect(res.stderr).toMatch(message);
  });
});
