// What the `sea` task leaves at the repository root for the agent to install: dist/cni/multi-nic and
// dist/cni/multi-nic-ipam, single executables runnable on a host without Node.js. Their bundles stay in each
// package's build/sea; neither is in the package's published `files` (the packed test checks the tarball).
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPlugin } from './exec.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const PLUGINS = [
  { name: 'multi-nic', bundle: path.join(ROOT, 'packages', 'cni-ipvlan', 'build', 'sea', 'multi-nic.cjs') },
  { name: 'multi-nic-ipam', bundle: path.join(ROOT, 'packages', 'cni-ipam', 'build', 'sea', 'multi-nic-ipam.cjs') },
];

function installed(name: string): string {
  const file = path.join(ROOT, 'dist', 'cni', name);
  if (!existsSync(file))
    throw new Error(`${file} is missing: \`pnpm exec turbo run sea\` writes it (the cni packages' sea task)`);
  return file;
}

describe('dist/cni at the repository root', () => {
  it.each(PLUGINS)('$name is an executable file for everyone', ({ name }) => {
    const stat = statSync(installed(name));
    expect(stat.isFile()).toBe(true);
    expect(stat.mode & 0o111).toBe(0o111);
  });

  it.each(PLUGINS)('$name prints its version with an EMPTY PATH (no Node.js to find)', ({ name }) => {
    const out = runPlugin(installed(name), { env: { PATH: '' }, argv: ['--version'] });
    expect({ status: out.status, stderr: out.stderr }).toEqual({ status: 0, stderr: '' });
    expect(out.stdout.split('\n')[0]).toMatch(new RegExp(`^CNI plugin ${name} v\\d+\\.\\d+\\.\\d+`));
  });

  it.each(PLUGINS)('$name answers CNI VERSION with an EMPTY PATH', ({ name }) => {
    const out = runPlugin(installed(name), {
      env: { PATH: '', CNI_COMMAND: 'VERSION' },
      stdin: { cniVersion: '1.0.0' },
    });
    expect(out.status).toBe(0);
    expect(out.json['supportedVersions']).toEqual(['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']);
  });

  // Every schema in the bundle is built at start-up (into the startup snapshot, which a larger heap makes slower to
  // load): the resource schemas a plugin never parses must stay out. Texts of the MultiNicNetwork and Condition schemas.
  it.each(PLUGINS)('$name does not bundle the resource schemas (only the CNI and agent wire types)', ({ bundle }) => {
    const text = readFileSync(bundle, 'utf8');
    expect(text).toContain('cni.dev/valid-attachments');
    expect(text).not.toContain('Bits of the host index inside an interface block.');
    expect(text).not.toContain('must be a condition type such as Ready');
  });
});
