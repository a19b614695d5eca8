#!/usr/bin/env node
// No top-level await: the single executable (`pnpm run sea`) bundles this file as CommonJS.
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { main } from './main.js';

// Set by build-sea.ts (esbuild define) in the single executable; absent when run from dist/.
declare const MULTINIC_PLUGIN_VERSION: string | undefined;

function version(): string {
  if (typeof MULTINIC_PLUGIN_VERSION === 'string') return MULTINIC_PLUGIN_VERSION;
  // dist/bin.js → ../package.json (process.argv[1], not import.meta: the bundle is CommonJS).
  const file = path.join(path.dirname(realpathSync(process.argv[1] ?? '.')), '..', 'package.json');
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as { version: string };
  return pkg.version;
}

function run(argv: readonly string[]): void {
  // Before any config parsing or Kubernetes access: images and install scripts probe the binary with it.
  if (argv[0] === '--version') {
    process.stdout.write(`multinic-agent ${version()}\n`);
    return;
  }
  void main({
    argv: [...argv],
    env: process.env,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`multinic-agent: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

run(process.argv.slice(2));
