// Test support for the CNI plugin packages: runs a built plugin executable exactly as a runtime does — a fresh
// environment (nothing inherited) and the configuration on stdin. Import by relative path from a package's test/.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ExecOutcome {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly json: Record<string, unknown>;
}

/** The executable `name` that `packages/<pkg>` builds into the repository's dist/cni, or a loud failure saying how to build it. */
export function pluginExecutable(pkg: 'cni-ipvlan' | 'cni-ipam', name: string): string {
  const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cni', name);
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: build it with \`pnpm exec turbo run sea --filter=@multinic/${pkg}\``);
  }
  return file;
}

export function runPlugin(
  file: string,
  options: { env: Record<string, string>; stdin?: unknown; argv?: string[] },
): ExecOutcome {
  const input =
    options.stdin === undefined
      ? ''
      : typeof options.stdin === 'string'
        ? options.stdin
        : JSON.stringify(options.stdin);
  const r = spawnSync(file, options.argv ?? [], { env: options.env, input, encoding: 'utf8', timeout: 20_000 });
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    json = {};
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json };
}
