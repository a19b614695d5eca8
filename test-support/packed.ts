// Test support: install workspace packages the way users do. `pnpm pack` each package, `npm install` the
// tarballs (plain npm from PATH) into an empty temporary project, run ESM scripts there with the Node that
// runs the tests, and check the packed package with publint. Test-only code (it spawns processes); import
// it by relative path from a package's test/ folder.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

export interface PackedProject {
  /** The temporary npm project the tarballs are installed in. */
  readonly dir: string;
  /** The packed tarballs, in the order of `packageDirs`. */
  readonly tarballs: readonly string[];
  /** Runs an ES module (source text) in the project with the Node running the tests; returns its stdout. */
  runModule(source: string): string;
  /** Removes the temporary project and tarballs. */
  cleanup(): void;
}

export interface PackOptions {
  /** Package directories to pack and install together (list a package's workspace dependencies too). */
  readonly packageDirs: readonly string[];
}

/** Environment for child package managers: without the npm_* variables pnpm sets for scripts. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key)) env[key] = value;
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

interface RunOptions {
  /** Return stderr after stdout (npm prints `pack`/`publish --dry-run` file lists there). */
  readonly withStderr?: boolean;
}

function run(command: string, args: readonly string[], cwd: string, options: RunOptions = {}): string {
  if (options.withStderr === true) {
    const r = spawnSync(command, args, {
      cwd,
      env: cleanEnv(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 2 ** 20,
    });
    if (r.status !== 0)
      throw new Error(
        `${command} ${args.join(' ')} failed in ${cwd} (status ${String(r.status)}):\n${r.stderr}${r.stdout}`,
      );
    return `${r.stdout}${r.stderr}`;
  }
  try {
    return execFileSync(command, args, { cwd, env: cleanEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (cause) {
    const failure = cause as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${command} ${args.join(' ')} failed in ${cwd}:\n${failure.stderr ?? ''}${failure.stdout ?? ''}${failure.message}`,
      { cause },
    );
  }
}

/** Fails with a clear message when a package has not been built (turbo builds before test). */
export function requireBuilt(packageDir: string): void {
  const manifest = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as {
    name: string;
    main?: string;
  };
  const entry = path.join(packageDir, manifest.main ?? 'dist/index.js');
  if (!existsSync(entry)) {
    throw new Error(
      `${manifest.name} is not built (${entry} is missing): run \`pnpm --filter ${manifest.name} run build\` first`,
    );
  }
}

/** pnpm from the running script (npm_execpath) when there is one, else from PATH. */
function pnpm(args: readonly string[], cwd: string, options: RunOptions = {}): string {
  const execPath = process.env['npm_execpath'];
  if (execPath !== undefined && /pnpm/.test(path.basename(execPath)))
    return run(process.execPath, [execPath, ...args], cwd, options);
  return run('pnpm', args, cwd, options);
}

/** Packs the packages with pnpm and installs the tarballs with npm into a fresh temporary project. */
export function packAndInstall(options: PackOptions): PackedProject {
  const dir = mkdtempSync(path.join(tmpdir(), 'multinic-packed-'));
  const packs = path.join(dir, 'packs');
  const project = path.join(dir, 'project');
  const tarballs = options.packageDirs.map((packageDir) => {
    requireBuilt(packageDir);
    const before = new Set(existsSync(packs) ? readdirSync(packs) : []);
    pnpm(['pack', '--pack-destination', packs], packageDir);
    const created = readdirSync(packs).find((file) => file.endsWith('.tgz') && !before.has(file));
    if (created === undefined) throw new Error(`pnpm pack wrote no tarball for ${packageDir}`);
    return path.join(packs, created);
  });
  run('mkdir', ['-p', project], dir);
  writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'packed-check', private: true, type: 'module' }),
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', ...tarballs], project);
  return {
    dir: project,
    tarballs,
    runModule(source: string): string {
      const file = path.join(project, `check-${Date.now()}-${Math.random().toString(36).slice(2)}.mjs`);
      writeFileSync(file, source);
      return run(process.execPath, [file], project);
    },
    cleanup(): void {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** publint's messages about a packed tarball (what npm would publish), formatted, by severity. */
export async function publintTarball(tarball: string): Promise<Record<'error' | 'warning' | 'suggestion', string[]>> {
  const data = readFileSync(tarball);
  const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  const { messages, pkg } = await publint({ pack: { tarball: buffer }, level: 'suggestion' });
  const out: Record<'error' | 'warning' | 'suggestion', string[]> = { error: [], warning: [], suggestion: [] };
  for (const message of messages) out[message.type].push(formatMessage(message, pkg, { color: false }) ?? message.code);
  return out;
}

/** The largest tarball a published multinic package may be (the single executables once made them 46–50 MB). */
export const MAX_TARBALL_BYTES = 1024 * 1024;

interface Manifest {
  readonly name: string;
  readonly private?: boolean;
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}

function manifestOf(packageDir: string): Manifest {
  return JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as Manifest;
}

/**
 * The package and every workspace package it needs at run time (dependencies and peerDependencies on
 * `@multinic/*`, transitively), dependencies first: what must be packed together for npm to install it without a
 * registry that has them. Fails when one of them is private (npm could never install the published package).
 */
export function withWorkspaceDependencies(packageDir: string): string[] {
  const packagesDir = path.dirname(packageDir);
  const order: string[] = [];
  const visit = (dir: string, from: string | undefined): void => {
    if (order.includes(dir)) return;
    const manifest = manifestOf(dir);
    if (manifest.private === true)
      throw new Error(
        `${manifest.name} is private, but ${from ?? 'the package'} needs it at run time: it could not be installed from npm`,
      );
    const needs = { ...manifest.dependencies, ...manifest.peerDependencies };
    for (const [name, range] of Object.entries(needs)) {
      if (range.startsWith('workspace:'))
        visit(path.join(packagesDir, name.replace(/^@multinic\//, '')), manifest.name);
    }
    order.push(dir);
  };
  visit(packageDir, undefined);
  return order;
}

/** The files of a packed tarball, without npm's `package/` prefix, sorted. */
export function tarballFiles(tarball: string): string[] {
  return run('tar', ['-tzf', tarball], path.dirname(tarball))
    .split('\n')
    .filter((line) => line !== '' && !line.endsWith('/'))
    .map((line) => line.replace(/^package\//, ''))
    .sort();
}

/** The tarball's size in bytes. */
export function tarballBytes(tarball: string): number {
  return statSync(tarball).size;
}

/** Files of a tarball that a published package must not carry: anything but dist/**, README.md, LICENSE, package.json, and in dist/ executables, tests, build info and SEA intermediates. */
export function unexpectedFiles(files: readonly string[]): string[] {
  const allowed = (file: string): boolean =>
    ['README.md', 'LICENSE', 'package.json'].includes(file) ||
    (file.startsWith('dist/') &&
      /\.(js|d\.ts|js\.map)$/.test(file) &&
      !/\.test\.|\.tsbuildinfo$|^dist\/(bin|sea)\//.test(file));
  return files.filter((file) => !allowed(file));
}

/** Runs a command with the environment of packAndInstall (no npm_* variables); its stdout, or a descriptive error. */
export { run as runCommand, pnpm as runPnpm };
