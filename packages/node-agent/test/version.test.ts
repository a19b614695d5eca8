// `multinic-agent --version` prints "<name> <version>" and exits 0 before reading any configuration or contacting Kubernetes:
// run with an empty environment (no KUBECONFIG, no in-cluster variables) and unknown flags after it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';

const pkgDir = new URL('..', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('package.json', pkgDir), 'utf8')) as { version: string };

interface Case {
  readonly what: string;
  readonly command: string;
  readonly args: readonly string[];
}

const cases: Case[] = [
  { what: 'dist/bin.js under node', command: process.execPath, args: ['dist/bin.js'] },
  {
    what: 'the single executable dist/bin/multinic-agent at the repository root',
    command: '../../dist/bin/multinic-agent',
    args: [],
  },
];

describe('multinic-agent --version', () => {
  it.each(cases)('$what prints the name and version without configuration', ({ command, args }) => {
    const file = args[0] ?? command;
    if (!existsSync(new URL(file, pkgDir)))
      throw new Error(`${file} is missing: run pnpm exec turbo run build sea --filter=@multinic/node-agent`);
    const out = execFileSync(command, [...args, '--version', '--no-such-flag'], {
      cwd: pkgDir,
      env: {},
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(out).toBe(`multinic-agent ${version}\n`);
  });
});
