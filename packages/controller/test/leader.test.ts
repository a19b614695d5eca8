// Two replicas of the real `multinic-controller` program: one leader on the Lease, only it writes; SIGTERM makes
// it release the lease and exit 0, and the other takes over at once; a SIGKILLed leader is replaced once its
// lease expires. Also the probes and metrics each replica serves. The replicas run as a ServiceAccount that has
// exactly the RBAC rules the README lists.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { writeKubeconfig, type TestEnv } from '@multinic/testenv';
import {
  addHost,
  conditionOf,
  eventually,
  grantControllerRbac,
  LEASE_NAMESPACE,
  network,
  RESOURCES,
  startEnv,
  twoNics,
  type Api,
} from './harness.js';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');

interface Replica {
  readonly identity: string;
  readonly proc: ChildProcess;
  readonly port: Promise<number>;
  readonly exited: Promise<number | null>;
  readonly lines: string[];
}

const SERVICE_ACCOUNT = { namespace: LEASE_NAMESPACE, name: 'multinic-controller' };
let env: TestEnv;
let api: Api;
let kubeconfig: string;
const replicas: Replica[] = [];

function startReplica(identity: string): Replica {
  const proc = spawn(
    process.execPath,
    [
      BIN,
      '--kubeconfig',
      kubeconfig,
      '--identity',
      identity,
      '--http-address',
      '127.0.0.1',
      '--http-port',
      '0',
      '--lease-namespace',
      LEASE_NAMESPACE,
    ],
    {
      env: {
        ...process.env,
        MULTINIC_LEASE_DURATION_SECONDS: '4',
        MULTINIC_RENEW_DEADLINE_SECONDS: '3',
        MULTINIC_RETRY_PERIOD_SECONDS: '0.5',
        MULTINIC_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  const port = new Promise<number>((resolve, reject) => {
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      lines.push(line);
      const entry = JSON.parse(line) as { msg?: string; port?: number };
      if (entry.msg === 'multinic-controller starting' && entry.port !== undefined) resolve(entry.port);
    });
    proc.once('exit', () => reject(new Error(`${identity} exited before it listened: ${lines.join('\n')}`)));
  });
  port.catch(() => {});
  proc.stderr?.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const replica = { identity, proc, port, exited, lines };
  replicas.push(replica);
  return replica;
}

async function http(replica: Replica, urlPath: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${await replica.port}${urlPath}`);
  return { status: res.status, body: await res.text() };
}

function metric(body: string, name: string): number {
  return body
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

async function holder(): Promise<string | undefined> {
  const lease = await api.get(RESOURCES.leases, 'multinic-controller', LEASE_NAMESPACE);
  return (lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;
}

async function hostsInPlan(): Promise<string[]> {
  const cidr = await api.get(RESOURCES.cidrs, 'ha-net');
  const plan = cidr?.spec as { cidr: { hosts: { hostName: string }[] }[] } | undefined;
  return [...new Set((plan?.cidr ?? []).flatMap((e) => e.hosts.map((h) => h.hostName)))].sort();
}

beforeAll(async () => {
  ({ env, api } = await startEnv({ serviceAccounts: [SERVICE_ACCOUNT] }));
  await grantControllerRbac(api, SERVICE_ACCOUNT);
  kubeconfig = path.join(env.workDir, 'controller.kubeconfig');
  writeKubeconfig(await env.serviceAccountKubeConfig(SERVICE_ACCOUNT.namespace, SERVICE_ACCOUNT.name), kubeconfig);
  for (const i of [1, 2]) await addHost(api, `ha-${i}`, twoNics(i));
  await api.create(RESOURCES.networks, network('ha-net', { namespaces: ['default'] }));
});

afterAll(async () => {
  for (const r of replicas) if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill('SIGKILL');
  await Promise.all(replicas.map((r) => r.exited));
  await env?.stop();
});

describe('two replicas', () => {
  let leader: Replica;
  let follower: Replica;

  it('elect one leader; only the leader writes, both are ready and healthy', async () => {
    const a = startReplica('replica-a');
    const b = startReplica('replica-b');
    const name = await eventually(async () => {
      const h = await holder();
      if (h !== 'replica-a' && h !== 'replica-b') throw new Error(`holder ${String(h)}`);
      return h;
    });
    [leader, follower] = name === 'replica-a' ? [a, b] : [b, a];
    await eventually(async () => expect(await hostsInPlan()).toEqual(['ha-1', 'ha-2']));
    await eventually(async () =>
      expect(conditionOf(await api.get(RESOURCES.networks, 'ha-net'), 'Ready')?.status).toBe('True'),
    );
    for (const r of [leader, follower]) {
      expect(await http(r, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
      await eventually(async () => expect((await http(r, '/readyz')).status).toBe(200));
    }
    const leaderMetrics = (await http(leader, '/metrics')).body;
    const followerMetrics = (await http(follower, '/metrics')).body;
    expect(metric(leaderMetrics, 'multinic_controller_leader')).toBe(1);
    expect(metric(followerMetrics, 'multinic_controller_leader')).toBe(0);
    expect(metric(leaderMetrics, 'multinic_controller_writes_total')).toBeGreaterThan(0);
    expect(metric(followerMetrics, 'multinic_controller_writes_total')).toBe(0);
    expect(leaderMetrics).toMatch(/multinic_controller_reconcile_duration_seconds_bucket/);
    expect(leaderMetrics).toMatch(/multinic_controller_plan_ippools\{network="ha-net"\} 4/);
    expect((await http(leader, '/nothing')).status).toBe(404);
  });

  it('SIGTERM: the leader releases the lease and exits 0, the other takes over and converges', async () => {
    leader.proc.kill('SIGTERM');
    expect(await leader.exited).toBe(0);
    expect(leader.lines.some((l) => l.includes('"msg":"controller stopped"'))).toBe(true);
    await eventually(async () => expect(await holder()).toBe(follower.identity), 3_000);
    await addHost(api, 'ha-3', twoNics(3));
    await eventually(async () => expect(await hostsInPlan()).toEqual(['ha-1', 'ha-2', 'ha-3']));
    [leader, follower] = [follower, startReplica('replica-c')];
  });

  it('SIGKILL: the lease expires and the follower takes over and converges', async () => {
    await eventually(async () => expect((await http(follower, '/readyz')).status).toBe(200));
    expect(await holder()).toBe(leader.identity);
    leader.proc.kill('SIGKILL');
    await leader.exited;
    await eventually(async () => expect(await holder()).toBe(follower.identity), 15_000);
    await addHost(api, 'ha-4', twoNics(4));
    await eventually(async () => expect(await hostsInPlan()).toEqual(['ha-1', 'ha-2', 'ha-3', 'ha-4']));
  });
});
