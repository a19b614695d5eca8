import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiException, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import {
  adminUser,
  serviceAccountKeyPair,
  serviceAccountUser,
  tokenAuthCsv,
  type ServiceAccountRef,
  type TokenUser,
} from './auth.js';
import { apiServerArgs, controllerManagerArgs, etcdArgs } from './components.js';
import { crdFiles, installCrds } from './crds.js';
import { TestEnvError } from './errors.js';
import { httpsGet } from './http.js';
import { makeKubeConfig, writeKubeconfig } from './kubeconfig.js';
import { defaultBinDir, findWorkspaceRoot, packageDir, resolveTools } from './paths.js';
import { freePorts } from './ports.js';
import { sharedReaper } from './reaper.js';
import { startProcess, type ManagedProcess, type ProcessSpec } from './proc.js';

/** How to start the control plane. Every field is optional. */
export interface TestEnvOptions {
  /** Where etcd, kube-apiserver, kube-controller-manager are; default `<checkout>/.cache/bin`. */
  readonly binDir?: string;
  /** CRD YAML files or directories; default `charts/multinic/crds/` of the checkout when it exists. */
  readonly crdPaths?: readonly string[];
  /** Also install the Multus NetworkAttachmentDefinition CRD (default true). */
  readonly multusCrd?: boolean;
  /** ServiceAccounts given a static token at start (`serviceAccountKubeConfig` then needs no API call). */
  readonly serviceAccounts?: readonly ServiceAccountRef[];
  /** Start kube-controller-manager (garbage collector, namespace controller); default true. */
  readonly controllerManager?: boolean;
  /** Extra kube-apiserver / kube-controller-manager flags (later flags win). */
  readonly apiServerArgs?: readonly string[];
  readonly controllerManagerArgs?: readonly string[];
  /** Parent of the work directory (data, certs, logs); default /dev/shm when present. */
  readonly tmpDir?: string;
  /** Keep the work directory (logs, etcd data) after stop(). */
  readonly keepWorkDir?: boolean;
  /** Also write the admin kubeconfig here (the work directory always has one). */
  readonly kubeconfigPath?: string;
  /** How long to wait for each component to become ready (default 90 s). */
  readonly readyTimeoutMs?: number;
  /** true: the processes outlive this Node process (the CLI's `up`); default false: killed when it ends. */
  readonly persistent?: boolean;
  /** Progress messages (default: none). */
  readonly log?: (message: string) => void;
}

/** Milliseconds from the call of startTestEnv to each milestone. */
export interface StartTimings {
  readonly apiServerReadyMs: number;
  readonly controllerManagerReadyMs: number;
  readonly crdsEstablishedMs: number;
  readonly totalMs: number;
}

/** A running control plane. */
export interface TestEnv extends AsyncDisposable {
  /** Admin (system:masters) client configuration. */
  readonly kubeConfig: KubeConfig;
  /** An admin kubeconfig file for kubectl, helm and Multus. */
  readonly kubeconfigPath: string;
  /** `https://127.0.0.1:<port>` */
  readonly server: string;
  readonly caPem: string;
  readonly adminToken: string;
  readonly workDir: string;
  readonly binDir: string;
  /** Names of the CRDs installed at start. */
  readonly crds: readonly string[];
  readonly timings: StartTimings;
  /** Process (group) ids of the running components. */
  pids(): Record<string, number>;
  /** A client that authenticates as `system:serviceaccount:<namespace>:<name>` (subject to RBAC). */
  serviceAccountKubeConfig(namespace: string, name: string): Promise<KubeConfig>;
  /** Install more CRDs (files or directories) and wait until they are established. */
  installCrds(paths: readonly string[]): Promise<string[]>;
  /**
   * SIGTERM kube-apiserver, SIGKILL it after `graceMs` (default 2 s: its graceful shutdown waits up to a minute
   * for open watches), and wait for it to exit; etcd keeps the data.
   */
  stopApiServer(options?: { graceMs?: number }): Promise<void>;
  /** Start kube-apiserver again (same port, certificate and data) and wait until /readyz is ok. */
  startApiServer(): Promise<void>;
  restartApiServer(): Promise<void>;
  /** Each component's log so far. */
  logs(): Record<string, string>;
  /** Kill everything started and remove the work directory. Safe to call twice. */
  stop(): Promise<void>;
}

interface Layout {
  readonly workDir: string;
  readonly binDir: string;
  readonly tools: Record<'etcd' | 'kube-apiserver' | 'kube-controller-manager', string>;
  readonly ports: { etcdClient: number; etcdPeer: number; apiServer: number; controllerManager: number };
  readonly admin: TokenUser;
  readonly serviceAccounts: readonly TokenUser[];
  readonly adminKubeconfig: string;
}

const START = Symbol('start');

function defaultTmpDir(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

/** The CRDs installed when `crdPaths` is not given: the chart's, when they exist. */
export function defaultCrdPaths(): string[] {
  const chart = path.join(findWorkspaceRoot(), 'charts', 'multinic', 'crds');
  return existsSync(chart) ? [chart] : [];
}

/** The bundled Multus NetworkAttachmentDefinition CRD. */
export function multusCrdPath(): string {
  return path.join(packageDir(), 'crds', 'network-attachment-definitions.k8s.cni.cncf.io.yaml');
}

async function prepare(options: TestEnvOptions): Promise<Layout> {
  const binDir = options.binDir ?? defaultBinDir();
  const wanted = ['etcd', 'kube-apiserver', 'kube-controller-manager'] as const;
  const tools = resolveTools(wanted, binDir);
  const admin = adminUser();
  const serviceAccounts = (options.serviceAccounts ?? []).map((ref) => serviceAccountUser(ref));
  const workDir = mkdtempSync(path.join(options.tmpDir ?? defaultTmpDir(), 'multinic-testenv-'));
  const [etcdClient = 0, etcdPeer = 0, apiServer = 0, controllerManager = 0] = await freePorts(4);
  mkdirSync(path.join(workDir, 'certs'));
  const keys = serviceAccountKeyPair();
  writeFileSync(path.join(workDir, 'sa.pub'), keys.publicKeyPem);
  writeFileSync(path.join(workDir, 'sa.key'), keys.privateKeyPem, { mode: 0o600 });
  writeFileSync(path.join(workDir, 'tokens.csv'), tokenAuthCsv([admin, ...serviceAccounts]), { mode: 0o600 });
  return {
    workDir,
    binDir,
    tools,
    ports: { etcdClient, etcdPeer, apiServer, controllerManager },
    admin,
    serviceAccounts,
    adminKubeconfig: path.join(workDir, 'kubeconfig'),
  };
}

type Specs = Record<'etcd' | 'apiServer' | 'controllerManager', ProcessSpec>;

function specs(layout: Layout, options: TestEnvOptions): Specs {
  const w = (f: string): string => path.join(layout.workDir, f);
  const reap = !(options.persistent ?? false);
  return {
    etcd: {
      name: 'etcd',
      command: layout.tools.etcd,
      args: etcdArgs({ dataDir: w('etcd'), clientPort: layout.ports.etcdClient, peerPort: layout.ports.etcdPeer }),
      logPath: w('etcd.log'),
      reap,
    },
    apiServer: {
      name: 'kube-apiserver',
      command: layout.tools['kube-apiserver'],
      args: apiServerArgs({
        etcdUrl: `http://127.0.0.1:${layout.ports.etcdClient}`,
        port: layout.ports.apiServer,
        certDir: w('certs'),
        saPublicKeyFile: w('sa.pub'),
        saPrivateKeyFile: w('sa.key'),
        tokenAuthFile: w('tokens.csv'),
        extraArgs: options.apiServerArgs ?? [],
      }),
      logPath: w('kube-apiserver.log'),
      reap,
    },
    controllerManager: {
      name: 'kube-controller-manager',
      command: layout.tools['kube-controller-manager'],
      args: controllerManagerArgs({
        kubeconfig: layout.adminKubeconfig,
        port: layout.ports.controllerManager,
        extraArgs: options.controllerManagerArgs ?? [],
      }),
      logPath: w('kube-controller-manager.log'),
      reap,
    },
  };
}

interface WaitSpec {
  readonly url: string;
  readonly what: string;
  /** Processes whose exit ends the wait with an error. */
  readonly watch: readonly ManagedProcess[];
  readonly deadline: number;
}

/** Poll `url` until it answers 200; fail at once when a watched process exits. */
async function waitHealthy(w: WaitSpec): Promise<void> {
  let last = 'no answer yet';
  while (Date.now() < w.deadline) {
    const dead = w.watch.find((p) => !p.isRunning());
    if (dead) {
      throw new TestEnvError(
        'START_FAILED',
        `testenv: ${dead.name} exited (${await dead.exited}) before ${w.what} was ready`,
      );
    }
    try {
      const res = await httpsGet(w.url, { timeoutMs: 2_000 });
      if (res.status === 200) return;
      last = `HTTP ${res.status}: ${res.body.slice(0, 2_000)}`;
    } catch (err) {
      last = String(err);
    }
    await sleep(100);
  }
  throw new TestEnvError('TIMEOUT', `testenv: ${w.what} not ready in time (${w.url}: ${last})`);
}

function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** Codes whose cause is in a component's log (a CRD the server rejected explains itself). */
const LOGGED_CODES = new Set(['START_FAILED', 'TIMEOUT']);

/**
 * The start-up failure: what failed and, when the cause is likely in a log, the end of every component's log
 * (the logs stay in the work directory; etcd's data does not, it is only RAM on tmpfs).
 */
function startFailure(err: unknown, procs: readonly ManagedProcess[], workDir: string): TestEnvError {
  const code = err instanceof TestEnvError ? err.code : 'START_FAILED';
  const what = err instanceof Error ? err.message : String(err);
  rmSync(path.join(workDir, 'etcd'), { recursive: true, force: true });
  if (!LOGGED_CODES.has(code)) {
    rmSync(workDir, { recursive: true, force: true });
    return new TestEnvError(code, what, { cause: err });
  }
  const logs = procs.map((p) => `----- ${p.name} (${p.logPath}) -----\n${tail(p.log(), 40)}`).join('\n');
  return new TestEnvError(code, `${what}\ntestenv: start-up failed; logs kept in ${workDir}\n${logs}`, { cause: err });
}

class Env implements TestEnv {
  readonly kubeConfig: KubeConfig;
  readonly kubeconfigPath: string;
  readonly server: string;
  readonly caPem: string;
  readonly adminToken: string;
  readonly workDir: string;
  readonly binDir: string;
  crds: readonly string[] = [];
  timings: StartTimings = { apiServerReadyMs: 0, controllerManagerReadyMs: 0, crdsEstablishedMs: 0, totalMs: 0 };
  private readonly procs: Map<string, ManagedProcess>;
  private stopped = false;

  constructor(
    private readonly layout: Layout,
    private readonly options: TestEnvOptions,
    private readonly specs: Specs,
    init: { caPem: string; procs: Map<string, ManagedProcess> },
  ) {
    this.server = `https://127.0.0.1:${layout.ports.apiServer}`;
    this.caPem = init.caPem;
    this.adminToken = layout.admin.token;
    this.workDir = layout.workDir;
    this.binDir = layout.binDir;
    this.procs = init.procs; // shared with startTestEnv, which stops them all if start-up fails
    this.kubeConfig = makeKubeConfig({ server: this.server, caPem: this.caPem, user: 'admin', token: this.adminToken });
    this.kubeconfigPath = layout.adminKubeconfig;
  }

  pids(): Record<string, number> {
    return Object.fromEntries([...this.procs].filter(([, p]) => p.isRunning()).map(([n, p]) => [n, p.pid]));
  }

  logs(): Record<string, string> {
    return Object.fromEntries([...this.procs].map(([n, p]) => [n, p.log()]));
  }

  async serviceAccountKubeConfig(namespace: string, name: string): Promise<KubeConfig> {
    const user = `system:serviceaccount:${namespace}:${name}`;
    const registered = this.layout.serviceAccounts.find((u) => u.user === user);
    const token = registered?.token ?? (await requestServiceAccountToken(this.kubeConfig, { namespace, name }));
    return makeKubeConfig({ server: this.server, caPem: this.caPem, user, token });
  }

  async installCrds(paths: readonly string[]): Promise<string[]> {
    return installCrds(this.kubeConfig, crdFiles(paths), this.options.readyTimeoutMs ?? 90_000);
  }

  async stopApiServer(options: { graceMs?: number } = {}): Promise<void> {
    await this.procs.get('kube-apiserver')?.stop(options.graceMs ?? 2_000);
  }

  async startApiServer(): Promise<void> {
    if (this.stopped) throw new TestEnvError('NOT_RUNNING', 'testenv: startApiServer after stop()');
    if (this.procs.get('kube-apiserver')?.isRunning()) return;
    const apiServer = startProcess(this.specs.apiServer);
    this.procs.set(apiServer.name, apiServer);
    const etcd = this.procs.get('etcd');
    await waitHealthy({
      url: `${this.server}/readyz`,
      what: 'kube-apiserver',
      watch: etcd ? [etcd, apiServer] : [apiServer],
      deadline: Date.now() + (this.options.readyTimeoutMs ?? 90_000),
    });
  }

  async restartApiServer(): Promise<void> {
    await this.stopApiServer();
    await this.startApiServer();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all([...this.procs.values()].map((p) => p.stop(0)));
    if (!(this.options.keepWorkDir ?? false)) rmSync(this.workDir, { recursive: true, force: true });
    if (!(this.options.persistent ?? false) && !(this.options.keepWorkDir ?? false))
      sharedReaper().unwatchDir(this.workDir);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** @internal */
  async [START](startedAt: number): Promise<void> {
    const { options, layout } = this;
    const log = options.log ?? ((): void => {});
    const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
    writeKubeconfig(this.kubeConfig, layout.adminKubeconfig);
    if (options.kubeconfigPath !== undefined) writeKubeconfig(this.kubeConfig, options.kubeconfigPath);
    const apiServerReadyMs = Date.now() - startedAt;
    const kcm = (options.controllerManager ?? true) ? startProcess(this.specs.controllerManager) : undefined;
    if (kcm) this.procs.set(kcm.name, kcm);
    const crdPaths = [
      ...(options.crdPaths ?? defaultCrdPaths()),
      ...((options.multusCrd ?? true) ? [multusCrdPath()] : []),
    ];
    let controllerManagerReadyMs = 0;
    const kcmReady = kcm
      ? waitHealthy({
          url: `https://127.0.0.1:${layout.ports.controllerManager}/healthz`,
          what: 'kube-controller-manager',
          watch: [kcm],
          deadline,
        }).then(() => (controllerManagerReadyMs = Date.now() - startedAt))
      : Promise.resolve();
    this.crds = await installCrds(this.kubeConfig, crdFiles(crdPaths), deadline - Date.now());
    const crdsEstablishedMs = Date.now() - startedAt;
    log(`testenv: CRDs established: ${this.crds.join(', ') || '(none)'}`);
    await kcmReady;
    this.timings = { apiServerReadyMs, controllerManagerReadyMs, crdsEstablishedMs, totalMs: Date.now() - startedAt };
  }
}

/** Create the ServiceAccount if needed (and its namespace) and ask the TokenRequest API for a token. */
async function requestServiceAccountToken(kc: KubeConfig, ref: ServiceAccountRef): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const ignoreExists = (err: unknown): void => {
    if (!(err instanceof ApiException) || err.code !== 409) throw err;
  };
  await core.createNamespace({ body: { metadata: { name: ref.namespace } } }).catch(ignoreExists);
  await core
    .createNamespacedServiceAccount({ namespace: ref.namespace, body: { metadata: { name: ref.name } } })
    .catch(ignoreExists);
  const res = await core.createNamespacedServiceAccountToken({
    name: ref.name,
    namespace: ref.namespace,
    body: { spec: { audiences: [], expirationSeconds: 86_400 } },
  });
  const token = res.status?.token;
  if (token === undefined) throw new TestEnvError('START_FAILED', `testenv: no token for ${ref.namespace}/${ref.name}`);
  return token;
}

/** Start etcd and kube-apiserver; resolves with the CA once /readyz is ok. */
async function startCore(
  layout: Layout,
  sp: Specs,
  procs: Map<string, ManagedProcess>,
  deadline: number,
): Promise<string> {
  const etcd = startProcess(sp.etcd);
  procs.set(etcd.name, etcd);
  const apiServer = startProcess(sp.apiServer);
  procs.set(apiServer.name, apiServer);
  await waitHealthy({
    url: `https://127.0.0.1:${layout.ports.apiServer}/readyz`,
    what: 'kube-apiserver',
    watch: [etcd, apiServer],
    deadline,
  });
  return readFileSync(path.join(layout.workDir, 'certs', 'apiserver.crt'), 'utf8');
}

/**
 * Start etcd, kube-apiserver and kube-controller-manager on loopback, install the CRDs and wait until all is
 * ready. Throws TOOLS_MISSING ("run scripts/ensure-tools") when a binary is missing, START_FAILED or TIMEOUT
 * with every component's log when something does not come up; nothing started is left running then.
 */
export async function startTestEnv(options: TestEnvOptions = {}): Promise<TestEnv> {
  const startedAt = Date.now();
  const layout = await prepare(options);
  // However this process ends (a failed test, a killed runner), the control plane's directory (etcd's data in RAM on
  // /dev/shm, certificates, logs) goes with its processes, unless the caller asked to keep it.
  const reapDir = !(options.persistent ?? false) && !(options.keepWorkDir ?? false);
  if (reapDir) sharedReaper().watchDir(layout.workDir);
  const sp = specs(layout, options);
  const procs = new Map<string, ManagedProcess>();
  try {
    const caPem = await startCore(layout, sp, procs, startedAt + (options.readyTimeoutMs ?? 90_000));
    const env = new Env(layout, options, sp, { caPem, procs });
    await env[START](startedAt);
    return env;
  } catch (err) {
    await Promise.all([...procs.values()].map((p) => p.stop(0)));
    // The logs of a failed start are kept for the person reading the error.
    if (reapDir) sharedReaper().unwatchDir(layout.workDir);
    throw startFailure(err, [...procs.values()], layout.workDir);
  }
}
