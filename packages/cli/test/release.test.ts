// The release as changesets and pnpm would make it, without publishing: the workspace's packages (everything but
// node_modules, so a stray file would be caught) are copied to a scratch directory, `changeset version` applies the
// pending changesets there, and `pnpm publish -r --dry-run` reports what each tarball would hold. Every package that is
// not private must come out with its new version, only dist/**, README.md, LICENSE and package.json, and only
// dependencies that are published too. This lives with the CLI's pack test: both install what ships, across packages.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requireBuilt, runCommand, runPnpm, unexpectedFiles } from '../../../test-support/packed.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const DEP_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies'] as const;

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
}

interface Published {
  readonly version: string;
  readonly files: string[];
}

const readManifest = (dir: string): Manifest =>
  JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
const packageDirs = (root: string): string[] =>
  readdirSync(path.join(root, 'packages'))
    .map((name) => path.join(root, 'packages', name))
    .filter((dir) => readdirSync(dir).includes('package.json'));

/** `npm notice` blocks of `pnpm publish --dry-run`: 📦 name@version, then Tarball Contents lines `<size> <path>`. */
function parseDryRun(text: string): Map<string, Published> {
  const out = new Map<string, Published>();
  let current: Published | undefined;
  let inContents = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^npm notice ?/, '');
    const header = /^📦\s+(@?[^@\s]+)@(\S+)$/.exec(line);
    if (header !== null) {
      current = { version: header[2] as string, files: [] };
      out.set(header[1] as string, current);
      inContents = false;
    } else if (line === 'Tarball Contents') {
      inContents = true;
    } else if (line === 'Tarball Details') {
      inContents = false;
    } else if (inContents && current !== undefined) {
      const file = /^\S+\s+(.+)$/.exec(line);
      if (file !== null) current.files.push(file[1] as string);
    }
  }
  return out;
}

/** What pnpm needs to turn `workspace:` ranges into versions: each workspace dependency linked in node_modules. */
function linkWorkspaceDependencies(root: string): void {
  for (const dir of packageDirs(root)) {
    const manifest = readManifest(dir);
    for (const field of DEP_FIELDS) {
      for (const [name, range] of Object.entries(manifest[field] ?? {})) {
        if (!range.startsWith('workspace:')) continue;
        const link = path.join(dir, 'node_modules', name);
        mkdirSync(path.dirname(link), { recursive: true });
        symlinkSync(path.join(root, 'packages', name.replace(/^@multinic\//, '')), link);
      }
    }
  }
}

let scratch: string | undefined;
let published = new Map<string, Published>();
let manifests = new Map<string, Manifest>();
let before = new Map<string, string>();

beforeAll(() => {
  const dirs = packageDirs(ROOT);
  for (const dir of dirs) if (readManifest(dir).private !== true) requireBuilt(dir);
  before = new Map(dirs.map((dir) => [readManifest(dir).name, readManifest(dir).version]));
  scratch = mkdtempSync(path.join(tmpdir(), 'multinic-release-'));
  for (const file of ['package.json', 'pnpm-workspace.yaml', '.changeset'])
    cpSync(path.join(ROOT, file), path.join(scratch, file), { recursive: true });
  for (const dir of dirs) {
    cpSync(dir, path.join(scratch, 'packages', path.basename(dir)), {
      recursive: true,
      filter: (src) => path.basename(src) !== 'node_modules',
    });
  }
  linkWorkspaceDependencies(scratch);
  runCommand(process.execPath, [path.join(ROOT, 'node_modules/@changesets/cli/bin.js'), 'version'], scratch);
  manifests = new Map(packageDirs(scratch).map((dir) => [readManifest(dir).name, readManifest(dir)]));
  // pnpm prints the file lists to stderr; the dry run never uploads (and nothing here is logged in to a registry).
  const result = runPnpm(
    ['publish', '-r', '--dry-run', '--no-git-checks', '--reporter=append-only', '--loglevel=notice'],
    scratch,
    { withStderr: true },
  );
  published = parseDryRun(result);
}, 240_000);

afterAll(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe('pnpm publish -r --dry-run after changeset version', () => {
  it('publishes exactly the packages that are not private', () => {
    const expected = [...manifests.values()]
      .filter((m) => m.private !== true)
      .map((m) => m.name)
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    expect([...published.keys()].sort()).toEqual(expected);
  });

  it('publishes each at the version changeset version gave it (never below the current one)', () => {
    for (const [name, { version }] of published) {
      expect({ name, version }).toEqual({ name, version: manifests.get(name)?.version });
      const [was, now] = [before.get(name) ?? '', version].map((v) => v.split('.').map(Number)) as [number[], number[]];
      expect(compareVersions(now, was)).toBeGreaterThanOrEqual(0);
    }
  });

  it('puts only dist/**, README.md, LICENSE and package.json in each tarball (no executable, test or build info)', () => {
    for (const [name, { files }] of published) {
      expect({ name, unexpected: unexpectedFiles(files) }).toEqual({ name, unexpected: [] });
      expect({ name, files }).toEqual({
        name,
        files: expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts']),
      });
    }
  });

  it('lets a published package depend only on published packages of the workspace', () => {
    for (const name of published.keys()) {
      const manifest = manifests.get(name) as Manifest;
      const internal = [
        ...Object.entries(manifest.dependencies ?? {}),
        ...Object.entries(manifest.peerDependencies ?? {}),
      ]
        .filter(([, range]) => range.startsWith('workspace:'))
        .map(([dep]) => dep);
      expect({ name, unpublished: internal.filter((dep) => !published.has(dep)) }).toEqual({ name, unpublished: [] });
    }
  });
});

function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}
