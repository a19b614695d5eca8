// build-sea.ts for real: bundles a probe program into Node single executables (with a code cache and with a startup
// snapshot, with and without --exec-argv) and runs them with an empty environment.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';

const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.join(here, '..', 'scripts', 'build-sea.ts');
// Inside the package, so the probe's import of @multinic/crd-types resolves as it does for the plugins.
const work = mkdtempSync(path.join(here, '..', '.tmp-build-sea-'));
copyFileSync(path.join(here, 'fixtures', 'sea-probe.ts'), path.join(work, 'sea-probe.ts'));
writeFileSync(path.join(work, 'package.json'), JSON.stringify({ name: 'sea-probe', version: '3.2.1' }));

afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Report {
  readonly execArgv: string[];
  readonly args: string[];
  readonly child: string;
  readonly http: string;
  readonly fromSnapshot: boolean;
  readonly zod: string;
}

/** Builds into dist-<name>/bin/sea-probe; the intermediates go to build/sea (the default) unless flags say otherwise. */
function buildAndRun(name: string, flags: readonly string[]): Report {
  const out = `dist-${name}/bin/sea-probe`;
  execFileSync(process.execPath, [script, '--entry', 'sea-probe.ts', '--out', out, ...flags], {
    cwd: work,
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 120_000,
  });
  expect(execFileSync(path.join(work, out), ['--version'], { env: {}, encoding: 'utf8' })).toBe('sea-probe 3.2.1\n');
  return JSON.parse(execFileSync(path.join(work, out), ['a', '--b'], { env: {}, encoding: 'utf8' })) as Report;
}

describe('build-sea', () => {
  it('builds an executable with a code cache that runs its program at start-up', () => {
    const report = buildAndRun('cache', []);
    expect(report).toEqual({
      execArgv: [],
      args: ['a', '--b'],
      child: 'child ran',
      http: 'function',
      fromSnapshot: false,
      zod: 'must be at most 128 characters long',
    });
  }, 180_000);

  it('leaves only the executable where --out points; bundle, blob and stamp go to the work directory (build/sea)', () => {
    expect(readdirSync(path.join(work, 'dist-cache'), { recursive: true }).sort()).toEqual([
      'bin',
      path.join('bin', 'sea-probe'),
    ]);
    expect(readdirSync(path.join(work, 'build', 'sea')).sort()).toEqual([
      'sea-probe.blob',
      'sea-probe.cjs',
      'sea-probe.sea-config.json',
      'sea-probe.stamp',
    ]);
  });

  it('bundles zod without its locales namespace (half of a plugin bundle); English messages stay', () => {
    const bundle = readFileSync(path.join(work, 'build', 'sea', 'sea-probe.cjs'), 'utf8');
    // Strings of two of zod's other locales (Hebrew and Russian).
    expect(bundle).not.toMatch(/[\u0590-\u05FF]/);
    expect(bundle).not.toMatch(/[\u0400-\u04FF]/);
    expect(bundle).toContain('Too big: expected');
  });

  it('--snapshot runs the top level at build time; child_process and http still work when first used at run time', () => {
    const report = buildAndRun('snapshot', ['--snapshot', '--work-dir', 'build-snapshot']);
    expect(report).toEqual({
      execArgv: [],
      args: ['a', '--b'],
      child: 'child ran',
      http: 'function',
      fromSnapshot: true,
      zod: 'must be at most 128 characters long',
    });
  }, 180_000);

  it('--exec-argv makes the executable always run with those Node options', () => {
    const report = buildAndRun('exec-argv', [
      '--exec-argv=--max-semi-space-size=16',
      '--exec-argv=--stack-size=2000',
      '--work-dir',
      'build-exec-argv',
    ]);
    expect(report.execArgv).toEqual(['--max-semi-space-size=16', '--stack-size=2000']);
    expect(report.args).toEqual(['a', '--b']);
  }, 180_000);
});
