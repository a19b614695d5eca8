// Shared by the chart tests: the value sets, their files, and small helpers over rendered manifests.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Manifest } from '../src/index.js';

export const TEST_DIR = path.dirname(fileURLToPath(import.meta.url));
export const GOLDEN_DIR = path.join(TEST_DIR, 'golden');
export const VALUES_DIR = path.join(TEST_DIR, 'values');
export const NAMESPACE = 'multinic-system';
export const RELEASE = 'multinic';

export interface ValueSet {
  readonly name: string;
  readonly files: readonly string[];
  /** Object-name prefix (`<fullname>`) for this set. */
  readonly fullname: string;
}

export const VALUE_SETS: readonly ValueSet[] = [
  { name: 'default', files: [], fullname: 'multinic' },
  { name: 'minimal', files: [path.join(VALUES_DIR, 'minimal.yaml')], fullname: 'multinic' },
  { name: 'openshift', files: [path.join(VALUES_DIR, 'openshift.yaml')], fullname: 'mnic' },
  { name: 'monitoring', files: [path.join(VALUES_DIR, 'monitoring.yaml')], fullname: 'multinic' },
];

export function find(manifests: readonly Manifest[], kind: string, name: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (found === undefined)
    throw new Error(
      `the chart rendered no ${kind} ${name}; it has ${manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ')}`,
    );
  return found;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  ports?: { name: string; containerPort: number }[];
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; hostPath?: { path: string; type?: string }; configMap?: { name: string } }[];
  hostNetwork?: boolean;
  securityContext?: Record<string, unknown>;
  tolerations?: Record<string, unknown>[];
  serviceAccountName?: string;
}

export function podSpec(workload: Manifest): PodSpec {
  return (workload['spec'] as { template: { spec: PodSpec } }).template.spec;
}

/** The container's environment with downward-API fields filled in as the kubelet would. */
export function containerEnv(container: Container, downward: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    const value = e.value ?? (field === undefined ? undefined : downward[field]);
    if (value === undefined)
      throw new Error(`env ${e.name} has neither a value nor a known fieldRef (${field ?? 'none'})`);
    env[e.name] = value;
  }
  return env;
}

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program; a non-zero exit is a value, not an exception. */
export function exec(
  file: string,
  args: readonly string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      [...args],
      { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...options.env } },
      (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.stdin ?? '');
  });
}

/** Like exec, but rejects with the command's stderr on a non-zero exit. */
export async function execOk(
  file: string,
  args: readonly string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const out = await exec(file, args, options);
  if (out.code !== 0)
    throw new Error(`${path.basename(file)} ${args.join(' ')} exited ${out.code}: ${out.stderr.trim()}`);
  return out.stdout;
}
