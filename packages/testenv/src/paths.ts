import { accessSync, constants, existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestEnvError } from './errors.js';

/** The binaries scripts/ensure-tools links into `.cache/bin/`. */
export type ToolName = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kubectl' | 'helm' | 'multus';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The checkout's root: the nearest directory above `from` that holds pnpm-workspace.yaml. */
export function findWorkspaceRoot(from: string = here): string {
  let dir = path.resolve(from);
  for (;;) {
    if (existsSync(path.join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`testenv: no pnpm-workspace.yaml above ${from}`);
    dir = parent;
  }
}

/** Where scripts/ensure-tools puts the binaries: `<checkout>/.cache/bin`. */
export function defaultBinDir(): string {
  return path.join(findWorkspaceRoot(), '.cache', 'bin');
}

/** This package's own directory (for its bundled CRDs). */
export function packageDir(): string {
  return path.resolve(here, '..');
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Absolute paths of the named tools in `binDir`. Throws TOOLS_MISSING naming every missing one and the
 * command that builds them: a missing binary must fail a test loudly, never skip it.
 */
export function resolveTools<const N extends ToolName>(
  names: readonly N[],
  binDir: string = defaultBinDir(),
): Record<N, string> {
  const found = {} as Record<N, string>;
  const missing: string[] = [];
  for (const name of names) {
    const file = path.join(binDir, name);
    if (isExecutable(file)) found[name] = file;
    else missing.push(name);
  }
  if (missing.length > 0) {
    throw new TestEnvError(
      'TOOLS_MISSING',
      `testenv: ${missing.join(', ')} not found in ${binDir}: run scripts/ensure-tools ` +
        '(it builds them from tools/ once and links them there)',
    );
  }
  return found;
}

/** The absolute path of one tool (kubectl, helm, multus, ...), or TOOLS_MISSING with what to run. */
export function toolPath(name: ToolName, binDir: string = defaultBinDir()): string {
  return resolveTools([name], binDir)[name];
}
