// Test support: the pack-and-install suite every published package runs from its test/packed.test.ts. The package
// and the workspace packages it needs are packed with pnpm and installed with plain npm into an empty project (as a
// user would); the entry point is imported from an ES module, each `bin` answers --version, the tarball carries only
// what a user needs (no single executable, no test) in under 1 MiB, and publint has nothing to say.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  MAX_TARBALL_BYTES,
  packAndInstall,
  publintTarball,
  tarballBytes,
  tarballFiles,
  unexpectedFiles,
  withWorkspaceDependencies,
} from './packed.js';
import type { PackedProject } from './packed.js';

export interface PackedSuite {
  /** The package directory (packages/<name>). */
  readonly packageDir: string;
  /** An ES module run in the installed project; it prints one JSON line. */
  readonly module: string;
  /** Assertions on what `module` printed. */
  readonly check: (printed: unknown) => void;
  /** The package's `bin` names and the first line each prints for `--version`. */
  readonly bins?: readonly { readonly name: string; readonly version: RegExp }[];
}

export function describePacked(suite: PackedSuite): void {
  const name = `@multinic/${path.basename(suite.packageDir)}`;
  let project: PackedProject | undefined;
  const installed = (): PackedProject => {
    if (project === undefined) throw new Error('the packed project was not installed (see beforeAll)');
    return project;
  };
  // The package is the last one packed: its workspace dependencies come first.
  const tarball = (): string => installed().tarballs.at(-1) as string;

  describe(`the packed ${name}`, () => {
    beforeAll(() => {
      project = packAndInstall({ packageDirs: withWorkspaceDependencies(suite.packageDir) });
    }, 300_000);
    afterAll(() => project?.cleanup());

    it('installs with npm and its entry point works from an ES module', () => {
      suite.check(JSON.parse(installed().runModule(suite.module)) as unknown);
    });

    const bins = suite.bins ?? [];
    it('names every bin of package.json in this suite', () => {
      const manifest = JSON.parse(readFileSync(path.join(suite.packageDir, 'package.json'), 'utf8')) as {
        bin?: Record<string, string>;
      };
      expect(bins.map((bin) => bin.name).sort()).toEqual(Object.keys(manifest.bin ?? {}).sort());
    });

    if (bins.length > 0) {
      it.each(bins.map((bin) => ({ ...bin })))('npx $name --version answers', ({ name: bin, version }) => {
        const out = execFileSync('npx', ['--no-install', bin, '--version'], {
          cwd: installed().dir,
          encoding: 'utf8',
          timeout: 60_000,
        });
        expect(out.split('\n')[0]).toMatch(version);
      });
    }

    it('ships only dist/**, README.md, LICENSE and package.json, in under 1 MiB', () => {
      const files = tarballFiles(tarball());
      expect(unexpectedFiles(files)).toEqual([]);
      expect(files).toEqual(
        expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts']),
      );
      expect(tarballBytes(tarball())).toBeLessThan(MAX_TARBALL_BYTES);
    });

    it('passes publint with no errors or warnings', async () => {
      const messages = await publintTarball(tarball());
      expect({ error: messages.error, warning: messages.warning }).toEqual({ error: [], warning: [] });
    });
  });
}
