// kubectl, helm and Multus against the control plane through the kubeconfig file it writes, the CLI's
// up/down, and the loud failure when the binaries have not been built.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { findWorkspaceRoot, startTestEnv, toolPath, type TestEnv } from '@multinic/testenv';
import { until, widgetCrd } from './helpers.js';

const run = promisify(execFile);
let env: TestEnv;
let scratch: string;

async function tool(name: 'kubectl' | 'helm' | 'multus', args: readonly string[]): Promise<string> {
  const { stdout } = await run(toolPath(name), [...args], {
    env: { ...process.env, KUBECONFIG: env.kubeconfigPath, HOME: scratch, HELM_CACHE_HOME: path.join(scratch, 'helm') },
  });
  return stdout;
}

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'testenv-tools-'));
  env = await startTestEnv({ crdPaths: [widgetCrd] });
});

afterAll(async () => {
  await env?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('kubectl', () => {
  it('reports the server version the wrapper stamped (/version) and lists the CRDs', async () => {
    const version = JSON.parse(await tool('kubectl', ['version', '-o', 'json'])) as {
      serverVersion: { gitVersion: string; minor: string };
      clientVersion: { gitVersion: string };
    };
    expect(version.serverVersion.gitVersion).toMatch(/^v1\.\d+\.\d+$/);
    expect(version.clientVersion.gitVersion).toBe(version.serverVersion.gitVersion);
    const crds = await tool('kubectl', ['get', 'crds', '-o', 'name']);
    expect(crds.trim().split('\n').sort()).toEqual([
      'customresourcedefinition.apiextensions.k8s.io/network-attachment-definitions.k8s.cni.cncf.io',
      'customresourcedefinition.apiextensions.k8s.io/widgets.testenv.multinic.io',
    ]);
  });

  it('applies a manifest that client-node then reads', async () => {
    const manifest = path.join(scratch, 'cm.yaml');
    writeFileSync(
      manifest,
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-kubectl\n  namespace: default\ndata:\n  a: "1"\n',
    );
    expect(await tool('kubectl', ['apply', '-f', manifest])).toMatch(/configmap\/from-kubectl created/);
    const cm = await env.kubeConfig
      .makeApiClient(CoreV1Api)
      .readNamespacedConfigMap({ namespace: 'default', name: 'from-kubectl' });
    expect(cm.data).toEqual({ a: '1' });
  });
});

describe('helm', () => {
  it('helm version, then install a chart and see the release in helm list', async () => {
    expect(await tool('helm', ['version', '--short'])).toMatch(/^v4\.\d+\.\d+/);
    expect(JSON.parse(await tool('helm', ['list', '-A', '-o', 'json']))).toEqual([]);
    const chart = path.join(scratch, 'demo');
    mkdirSync(path.join(chart, 'templates'), { recursive: true });
    writeFileSync(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: demo\nversion: 0.1.0\n');
    writeFileSync(
      path.join(chart, 'templates', 'cm.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  v: {{ .Values.v | quote }}\n',
    );
    writeFileSync(path.join(chart, 'values.yaml'), 'v: hello\n');
    await tool('helm', ['install', 'demo', chart, '--namespace', 'default', '--wait=false']);
    const releases = JSON.parse(await tool('helm', ['list', '-A', '-o', 'json'])) as { name: string; status: string }[];
    expect(releases.map((r) => [r.name, r.status])).toEqual([['demo', 'deployed']]);
    const cm = await env.kubeConfig
      .makeApiClient(CoreV1Api)
      .readNamespacedConfigMap({ namespace: 'default', name: 'demo-cm' });
    expect(cm.data).toEqual({ v: 'hello' });
  });
});

describe('multus', () => {
  it('the thin plugin binary runs and speaks CNI VERSION', async () => {
    expect(await tool('multus', ['--version'])).toMatch(/^multus: version:v4\./);
    const { stdout } = await run(toolPath('multus'), [], { env: { CNI_COMMAND: 'VERSION' } });
    expect((JSON.parse(stdout) as { supportedVersions: string[] }).supportedVersions).toContain('1.0.0');
  });
});

describe('the CLI (pnpm testenv up / down)', () => {
  it('up writes a kubeconfig kubectl can use and records the pids; down stops them', async () => {
    const cli = path.join(findWorkspaceRoot(), 'packages', 'testenv', 'dist', 'cli.js');
    const dir = path.join(scratch, 'cli');
    const up = await run(process.execPath, [cli, 'up', '--dir', dir, '--crds', widgetCrd]);
    expect(up.stdout).toMatch(/testenv: up in .* s; CRDs: widgets.testenv.multinic.io/);
    const state = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as { pids: Record<string, number> };
    const pids = Object.values(state.pids);
    expect(pids).toHaveLength(3);
    const { stdout } = await run(toolPath('kubectl'), ['get', 'crd', 'widgets.testenv.multinic.io', '-o', 'name'], {
      env: { ...process.env, KUBECONFIG: path.join(dir, 'kubeconfig') },
    });
    expect(stdout.trim()).toBe('customresourcedefinition.apiextensions.k8s.io/widgets.testenv.multinic.io');
    expect((await run(process.execPath, [cli, 'up', '--dir', dir])).stdout).toMatch(/already up/);
    expect((await run(process.execPath, [cli, 'down', '--dir', dir])).stdout).toMatch(/testenv: down/);
    expect(pids.filter((pid) => running(pid))).toEqual([]);
    expect((await run(process.execPath, [cli, 'status', '--dir', dir])).stdout).toMatch(/not up/);
  });
});

describe('teardown when the test process dies', () => {
  it('Ctrl-C (SIGINT) of a process that started a control plane leaves none of it running, and removes its directory', async () => {
    const index = path.join(findWorkspaceRoot(), 'packages', 'testenv', 'dist', 'index.js');
    const script = `import { startTestEnv } from ${JSON.stringify(index)};
      const env = await startTestEnv({ crdPaths: [], multusCrd: false });
      console.log(JSON.stringify({ pids: env.pids(), workDir: env.workDir }));
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const firstLine = await new Promise<string>((resolve) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
      });
    });
    const started = JSON.parse(firstLine) as { pids: Record<string, number>; workDir: string };
    const pids = Object.values(started.pids);
    expect(pids).toHaveLength(3);
    expect(pids.every(running)).toBe(true);
    expect(existsSync(path.join(started.workDir, 'etcd'))).toBe(true);
    child.kill('SIGINT');
    await exited;
    await until(() => !pids.some(running), 'the components to be killed', 10_000);
    // etcd's data lives in RAM on /dev/shm: a directory left behind holds memory until reboot (issue 23, finding 8).
    await until(() => !existsSync(started.workDir), 'the control plane directory to be removed', 10_000);
  });
});

describe('missing binaries', () => {
  it('startTestEnv fails loudly naming the command to run, and starts nothing', async () => {
    const empty = mkdtempSync(path.join(scratch, 'empty-bin-'));
    await expect(startTestEnv({ binDir: empty })).rejects.toMatchObject({
      code: 'TOOLS_MISSING',
      message: expect.stringMatching(
        /etcd, kube-apiserver, kube-controller-manager not found in .*: run scripts\/ensure-tools/,
      ),
    });
    expect(() => toolPath('helm', empty)).toThrow(/helm not found .*run scripts\/ensure-tools/);
  });
});

function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
