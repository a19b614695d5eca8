// Builds a program into a Node single executable application (run from its package directory, e.g. by `pnpm sea`):
//   node ../cni-skel/scripts/build-sea.ts --entry src/bin.ts --out ../../dist/cni/multi-nic
// 1. esbuild bundles the entry and everything it imports into one minified CommonJS file (build/sea/<name>.cjs);
// 2. `node --experimental-sea-config` turns it into a SEA blob with a V8 code cache (faster start-up), or with
//    --snapshot a V8 startup snapshot of the bundle after its modules ran (the CNI plugins: fastest start-up);
// 3. the Node binary running this script (process.execPath, Node 24) is copied and postject injects the blob.
// Steps 2–3 are skipped when the bundle, the Node binary and this script are unchanged since the last build.
// The executable goes outside the package (the repository's dist/cni or dist/bin) and the bundle, blob and stamp into
// the package's build/sea: neither is in the package's `files`, so `npm pack` ships no 50 MB binary.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';

const SENTINEL_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

interface Options {
  readonly entry: string;
  readonly out: string;
  readonly name: string;
  readonly version: string;
  readonly force: boolean;
  /** Node options the executable always runs with (SEA `execArgv`), e.g. `--max-semi-space-size=16`. */
  readonly execArgv: readonly string[];
  /** Build a V8 startup snapshot of the initialised bundle instead of a code cache (the CNI plugins: see README). */
  readonly snapshot: boolean;
  /** Where the bundle, the blob and the stamp go (default `build/sea`, outside the published `dist`). */
  readonly workDir: string;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      entry: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean', default: false },
      snapshot: { type: 'boolean', default: false },
      'exec-argv': { type: 'string', multiple: true, default: [] },
      'work-dir': { type: 'string', default: 'build/sea' },
    },
  });
  if (values.entry === undefined || values.out === undefined) {
    throw new Error(
      'usage: node build-sea.ts --entry src/bin.ts --out ../../dist/cni/<name> [--snapshot] [--exec-argv=<node option>]… [--work-dir build/sea] [--force]',
    );
  }
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  return {
    entry: values.entry,
    out: values.out,
    name: path.basename(values.out),
    version: pkg.version,
    force: values.force,
    snapshot: values.snapshot,
    execArgv: values['exec-argv'],
    workDir: values['work-dir'],
  };
}

function elapsed(since: bigint): string {
  return `${Number((process.hrtime.bigint() - since) / 1_000_000n)} ms`;
}

/**
 * Built-in modules that cannot be initialised inside a user-land startup snapshot (`node:http` aborts the snapshot
 * builder with "CheckGlobalAndEternalHandles failed"; Node warns that `node:child_process` is unverified). In a
 * snapshot build each is replaced by an object that requires the real module on first property access, i.e. at run
 * time. esbuild reads named imports of external modules as properties at the call site, so nothing else changes.
 */
const RUNTIME_ONLY_BUILTINS = /^node:(child_process|http|https|net)$/;

/**
 * The wrapper module for one such built-in: a Proxy that loads the module on the first property read. Its key list is
 * the module's own, taken here (the same Node binary becomes the executable), so esbuild's ESM interop (which asks
 * for `__esModule` and copies the keys as getters) loads nothing.
 */
function runtimeOnlyModule(name: string): string {
  const keys = Object.keys(createRequire(import.meta.url)(name) as object);
  return `let m;
const load = () => (m ??= require(${JSON.stringify(name)}));
const keys = ${JSON.stringify(keys)};
module.exports = new Proxy({}, {
  get: (_, k) => (k === '__esModule' ? undefined : load()[k]),
  has: (_, k) => keys.includes(k),
  ownKeys: () => keys,
  getOwnPropertyDescriptor: (_, k) => (keys.includes(k) ? { configurable: true, enumerable: true, writable: true, value: undefined } : undefined),
});`;
}

const runtimeOnlyBuiltins: Plugin = {
  name: 'runtime-only-builtins',
  setup(b) {
    // The wrapper's own require() of the module stays a real (external) require.
    b.onResolve({ filter: RUNTIME_ONLY_BUILTINS }, (a) =>
      a.namespace === 'runtime-only' ? { path: a.path, external: true } : { path: a.path, namespace: 'runtime-only' },
    );
    b.onLoad({ filter: /.*/, namespace: 'runtime-only' }, (a) => ({
      loader: 'js',
      contents: runtimeOnlyModule(a.path),
    }));
  },
};

/**
 * zod re-exports every one of its ~45 locales as a namespace (`z.locales`), which esbuild cannot shake out: half of a
 * plugin's bundle (263 of 520 KiB) and of the heap a snapshot holds. Nothing of multinic reads `z.locales` (English,
 * the default, is imported by zod's schemas directly), so the namespace is bundled empty.
 */
const noZodLocales: Plugin = {
  name: 'no-zod-locales',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (a) =>
      /[\\/]zod[\\/]v4[\\/]/.test(a.importer) ? { path: 'zod-locales', namespace: 'no-zod-locales' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'no-zod-locales' }, () => ({ loader: 'js', contents: 'export {};' }));
  },
};

async function bundle(o: Options, file: string): Promise<void> {
  await build({
    entryPoints: [o.entry],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    define: { MULTINIC_PLUGIN_VERSION: JSON.stringify(o.version) },
    plugins: o.snapshot ? [noZodLocales, runtimeOnlyBuiltins] : [noZodLocales],
  });
}

function stampOf(o: Options, bundleFile: string): string {
  const hash = createHash('sha256');
  hash.update(readFileSync(bundleFile));
  hash.update(
    `${process.execPath}\0${process.version}\0${statSync(process.execPath).size}\0${o.snapshot}\0${o.execArgv.join(' ')}\0`,
  );
  hash.update(readFileSync(new URL(import.meta.url)));
  return hash.digest('hex');
}

function makeExecutable(o: Options, bundleFile: string, workDir: string): void {
  const blob = path.join(workDir, `${o.name}.blob`);
  const seaConfig = path.join(workDir, `${o.name}.sea-config.json`);
  // A snapshot holds the initialised heap (no code cache with it); otherwise the V8 code cache spares the compile.
  const startup = o.snapshot ? { useSnapshot: true } : { useCodeCache: true };
  const execArgv = o.execArgv.length === 0 ? {} : { execArgv: o.execArgv };
  writeFileSync(
    seaConfig,
    JSON.stringify(
      { main: bundleFile, output: blob, disableExperimentalSEAWarning: true, ...startup, ...execArgv },
      null,
      2,
    ),
  );
  execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: ['ignore', 'ignore', 'inherit'] });
  const tmp = `${o.out}.tmp`;
  rmSync(tmp, { force: true });
  copyFileSync(process.execPath, tmp);
  chmodSync(tmp, 0o755);
  const postject = createRequire(import.meta.url).resolve('postject/dist/cli.js');
  execFileSync(process.execPath, [postject, tmp, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SENTINEL_FUSE], {
    stdio: 'ignore',
  });
  renameSync(tmp, o.out);
}

function reportedVersion(o: Options): string {
  try {
    return execFileSync(o.out, ['--version'], { encoding: 'utf8', env: {} }).split('\n')[0] ?? '';
  } catch {
    return '';
  }
}

/** The executable answers --version as this program (a bare node binary prints `v24.x`). */
function isOurs(o: Options): boolean {
  const version = reportedVersion(o);
  return version.includes(o.name) && version.includes(o.version);
}

async function main(): Promise<void> {
  const o = options();
  const started = process.hrtime.bigint();
  const workDir = o.workDir;
  mkdirSync(workDir, { recursive: true });
  mkdirSync(path.dirname(o.out), { recursive: true });
  const bundleFile = path.resolve(workDir, `${o.name}.cjs`);
  await bundle(o, bundleFile);
  const stampFile = path.join(workDir, `${o.name}.stamp`);
  const stamp = stampOf(o, bundleFile);
  let fresh = !o.force && existsSync(o.out) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp;
  // A stamp only proves what was built last time; an overlapping build may have left a plain node binary behind.
  if (fresh && !isOurs(o)) fresh = false;
  if (!fresh) makeExecutable(o, bundleFile, workDir);
  const version = reportedVersion(o);
  if (!isOurs(o))
    throw new Error(
      `${o.out} --version printed ${JSON.stringify(version)}, not ${o.name} ${o.version}: the blob was not injected`,
    );
  writeFileSync(stampFile, stamp);
  const size = (statSync(o.out).size / 2 ** 20).toFixed(1);
  const bundleKb = (statSync(bundleFile).size / 1024).toFixed(0);
  process.stderr.write(
    `build-sea: ${o.out} (${size} MiB, bundle ${bundleKb} KiB) ${fresh ? 'up to date' : 'built'} in ${elapsed(started)}: ${version}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`build-sea: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
