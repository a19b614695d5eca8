// Runs the real helm binary (built by scripts/ensure-tools into <checkout>/.cache/bin) on charts/multinic.
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export type ChartToolErrorCode = 'TOOLS_MISSING' | 'HELM_FAILED';

export class ChartToolError extends Error {
  readonly code: ChartToolErrorCode;
  /** helm's stderr for HELM_FAILED. */
  readonly stderr: string;
  constructor(code: ChartToolErrorCode, message: string, options: { stderr?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ChartToolError';
    this.code = code;
    this.stderr = options.stderr ?? '';
  }
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** The checkout's root: the nearest directory above `from` that holds pnpm-workspace.yaml. */
export function workspaceRoot(from: string = here): string {
  let dir = path.resolve(from);
  for (;;) {
    if (existsSync(path.join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`chart-tests: no pnpm-workspace.yaml above ${from}`);
    dir = parent;
  }
}

/** `charts/multinic` of this checkout. */
export function chartDir(): string {
  return path.join(workspaceRoot(), 'charts', 'multinic');
}

/** The path of a tool from `.cache/bin` (helm, kubectl); TOOLS_MISSING says what to run when it is not there. */
export function toolBinary(
  name: 'helm' | 'kubectl',
  binDir: string = path.join(workspaceRoot(), '.cache', 'bin'),
): string {
  const file = path.join(binDir, name);
  try {
    accessSync(file, constants.X_OK);
  } catch (err) {
    throw new ChartToolError(
      'TOOLS_MISSING',
      `${name} not found in ${binDir}: run scripts/ensure-tools (it builds helm and kubectl from tools/ and links them there)`,
      { cause: err },
    );
  }
  return file;
}

export interface HelmRun {
  readonly args: readonly string[];
  /** Written to helm's stdin (e.g. values for `-f -`). */
  readonly stdin?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly binDir?: string;
}

/** Runs helm; resolves with stdout, rejects with HELM_FAILED carrying stderr. */
export function helm(run: HelmRun): Promise<string> {
  return new Promise((resolve, reject) => {
    const binary = toolBinary('helm', run.binDir); // a throw here rejects: TOOLS_MISSING
    const child = execFile(
      binary,
      [...run.args],
      { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...run.env } },
      (err, stdout, stderr) => {
        if (err === null) resolve(stdout);
        else
          reject(
            new ChartToolError('HELM_FAILED', `helm ${run.args.join(' ')} failed: ${stderr.trim() || err.message}`, {
              stderr,
              cause: err,
            }),
          );
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(run.stdin ?? '');
  });
}

export interface RenderOptions {
  /** Release name (default `multinic`). */
  readonly release?: string;
  /** Release namespace (default `multinic-system`). */
  readonly namespace?: string;
  /** Values files, applied in order. */
  readonly valuesFiles?: readonly string[];
  /** Values given as an object, applied after the files (passed to helm as JSON on stdin). */
  readonly values?: Readonly<Record<string, unknown>>;
  /** Only these templates, e.g. `templates/agent-rbac.yaml`. */
  readonly showOnly?: readonly string[];
  /** The chart (default charts/multinic of this checkout). */
  readonly chart?: string;
  readonly binDir?: string;
}

/** `helm template` of the chart: the manifests as YAML text (CRDs not included). */
export function renderChart(options: RenderOptions = {}): Promise<string> {
  const args = [
    'template',
    options.release ?? 'multinic',
    options.chart ?? chartDir(),
    '--namespace',
    options.namespace ?? 'multinic-system',
  ];
  for (const file of options.valuesFiles ?? []) args.push('--values', file);
  if (options.values !== undefined) args.push('--values', '-');
  for (const template of options.showOnly ?? []) args.push('--show-only', template);
  return helm({
    args,
    ...(options.values === undefined ? {} : { stdin: JSON.stringify(options.values) }),
    ...(options.binDir === undefined ? {} : { binDir: options.binDir }),
  });
}

/** The templates that hold each component's ServiceAccount, (Cluster)Roles and bindings. */
export const RBAC_TEMPLATES = {
  controller: 'templates/controller-rbac.yaml',
  agent: 'templates/agent-rbac.yaml',
} as const;

export type Component = keyof typeof RBAC_TEMPLATES;

/**
 * The RBAC the chart renders (ServiceAccounts, ClusterRoles, Roles and their bindings) for the given components
 * (default both), as YAML text: what the e2e suite installs instead of hand-written copies.
 */
export function renderRbac(
  options: Omit<RenderOptions, 'showOnly'> & { components?: readonly Component[] } = {},
): Promise<string> {
  const { components = ['controller', 'agent'], ...rest } = options;
  return renderChart({ ...rest, showOnly: components.map((c) => RBAC_TEMPLATES[c]) });
}
