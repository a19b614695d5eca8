#!/usr/bin/env node
// pnpm testenv up | down | status: a control plane in the background for people and the demo.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { findWorkspaceRoot } from './paths.js';
import { killProcessGroup, processAlive } from './proc.js';
import { startTestEnv } from './testenv.js';

interface State {
  readonly server: string;
  readonly kubeconfig: string;
  readonly workDir: string;
  readonly pids: Record<string, number>;
}

const USAGE = `usage: pnpm testenv up [--crds PATH]... [--no-multus-crd] [--dir DIR]
       pnpm testenv down [--dir DIR]
       pnpm testenv status [--dir DIR]
  up      start etcd, kube-apiserver, kube-controller-manager on 127.0.0.1 in the background,
          install the CRDs (default charts/multinic/crds/ and Multus' NetworkAttachmentDefinition),
          write DIR/kubeconfig (DIR defaults to .testenv/ of the checkout)
  down    stop what 'up' started and delete its data`;

function readState(file: string): State | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as State;
}

function isUp(state: State | undefined): state is State {
  return state !== undefined && Object.values(state.pids).some((pid) => processAlive(pid));
}

function howTo(state: State): string {
  const bin = path.join(findWorkspaceRoot(), '.cache', 'bin');
  return [
    `  server      ${state.server}`,
    `  kubeconfig  ${state.kubeconfig}`,
    `  logs        ${state.workDir}/*.log`,
    `  use it:     export KUBECONFIG=${state.kubeconfig} PATH=${bin}:$PATH; kubectl get crds`,
    '  stop it:    pnpm testenv down',
  ].join('\n');
}

async function up(dir: string, values: { crds?: string[]; 'no-multus-crd'?: boolean }): Promise<number> {
  const stateFile = path.join(dir, 'state.json');
  const old = readState(stateFile);
  if (isUp(old)) {
    console.log(`testenv: already up\n${howTo(old)}`);
    return 0;
  }
  mkdirSync(dir, { recursive: true });
  const kubeconfig = path.join(dir, 'kubeconfig');
  const env = await startTestEnv({
    persistent: true,
    keepWorkDir: true,
    kubeconfigPath: kubeconfig,
    multusCrd: !(values['no-multus-crd'] ?? false),
    ...(values.crds ? { crdPaths: values.crds.map((p) => path.resolve(p)) } : {}),
  });
  const state: State = { server: env.server, kubeconfig, workDir: env.workDir, pids: env.pids() };
  writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`);
  console.log(`testenv: up in ${(env.timings.totalMs / 1000).toFixed(1)} s; CRDs: ${env.crds.join(', ') || '(none)'}`);
  console.log(howTo(state));
  return 0;
}

async function down(dir: string): Promise<number> {
  const stateFile = path.join(dir, 'state.json');
  const state = readState(stateFile);
  if (state === undefined) {
    console.log('testenv: not up');
    return 0;
  }
  await Promise.all(Object.values(state.pids).map((pid) => killProcessGroup(pid, 3_000)));
  rmSync(state.workDir, { recursive: true, force: true });
  rmSync(stateFile, { force: true });
  rmSync(state.kubeconfig, { force: true });
  console.log(`testenv: down (stopped ${Object.keys(state.pids).join(', ')})`);
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      crds: { type: 'string', multiple: true },
      'no-multus-crd': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const dir = path.resolve(values.dir ?? path.join(findWorkspaceRoot(), '.testenv'));
  const command = positionals[0];
  if (command === 'up') return up(dir, values);
  if (command === 'down') return down(dir);
  if (command === 'status') {
    const state = readState(path.join(dir, 'state.json'));
    console.log(isUp(state) ? `testenv: up\n${howTo(state)}` : 'testenv: not up');
    return 0;
  }
  console.error(USAGE);
  return values.help ? 0 : 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
