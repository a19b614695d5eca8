// kill -9 of the agent process in the middle of an allocation storm, then a restart from its checkpoint: every
// acknowledged allocation survives with the same addresses, no address is handed out twice, and after CNI GC
// nothing is leaked (the IPPool status equals exactly what was acknowledged).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AllocateResponse } from '@multinic/crd-types';
import { startTestEnv, type TestEnv } from '@multinic/testenv';
import type { KubeClient } from '@multinic/kube';
import { SocketClient, allocateRequest, createNetwork, eventually, kube, mirroredAllocations } from './helpers.js';

const NODE = 'node-r';
const NETWORK = 'net-r';
const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');
let env: TestEnv | undefined;
let client: KubeClient;
let dir: string;
let configFile: string;
let socketPath: string;
const children: ChildProcess[] = [];

function startAgent(config = configFile): ChildProcess {
  if (!existsSync(bin))
    throw new Error(`${bin} is missing: build the package first (pnpm --filter @multinic/node-agent build)`);
  const out = openSync(path.join(dir, 'agent.log'), 'a');
  const child = spawn(process.execPath, [bin, '--config', config], { stdio: ['ignore', out, out] });
  children.push(child);
  return child;
}

async function ready(sock: SocketClient): Promise<void> {
  await eventually(
    async () => expect((await sock.post('/v1/status', { network: NETWORK })).body).toEqual({ ready: true }),
    30_000,
  );
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mn-restart-'));
  env = await startTestEnv({ controllerManager: false });
  client = kube(env.kubeConfig);
  socketPath = path.join(dir, 'agent.sock');
  configFile = path.join(dir, 'agent.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      nodeName: NODE,
      socketPath,
      stateDir: path.join(dir, 'state'),
      kubeconfig: env.kubeconfigPath,
      logLevel: 'warn',
      metrics: { host: '127.0.0.1', port: 0 },
      discovery: { enabled: false },
      routes: { enabled: false },
      gc: { enabled: false },
      mirror: { batchMs: 20, retryMs: 100 },
    }),
  );
  await createNetwork(client, {
    name: NETWORK,
    subnet: '172.20.0.0/16',
    // A /22 per (host, NIC): the storms below hold up to 700 attachments before GC; a /24 filled up and the
    // allocations that did not fit were silently not acknowledged.
    hostBlock: 4,
    hosts: [
      {
        hostName: NODE,
        interfaces: [
          { interfaceName: 'eth1', netAddress: '10.20.1.0/24', hostIP: '10.20.1.2' },
          { interfaceName: 'eth2', netAddress: '10.20.2.0/24', hostIP: '10.20.2.2' },
        ],
      },
      { hostName: 'node-s', interfaces: [{ interfaceName: 'eth1', netAddress: '10.20.1.0/24', hostIP: '10.20.1.3' }] },
    ],
  });
}, 180_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  client?.close();
  await env?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

type Acked = Map<string, string[]>;

/** Allocates `count` attachments with `concurrency` clients; kills `victim` after `killAfter` acknowledgements. */
async function storm(options: {
  sock: SocketClient;
  prefix: string;
  count: number;
  concurrency: number;
  victim?: ChildProcess;
  killAfter?: number;
}): Promise<Acked> {
  const acked: Acked = new Map();
  let next = 0;
  let killed = false;
  const worker = async (): Promise<void> => {
    while (next < options.count && !killed) {
      const id = `${options.prefix}-${next++}`;
      try {
        const res = await options.sock.post<AllocateResponse>(
          '/v1/allocate',
          allocateRequest({ network: NETWORK, containerID: id, podUID: `uid-${id}`, nics: ['eth1', 'eth2'] }),
        );
        if (res.status === 200)
          acked.set(
            id,
            res.body.allocations.map((a) => `${a.ippool}/${a.address.split('/')[0]}`),
          );
      } catch {
        // the agent died under this request: not acknowledged
      }
      if (options.victim !== undefined && !killed && acked.size >= (options.killAfter ?? Infinity)) {
        killed = true;
        options.victim.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, () => worker()));
  return acked;
}

function expectedStatus(...sets: Acked[]): string[] {
  return sets.flatMap((s) => [...s.entries()].flatMap(([id, addrs]) => addrs.map((a) => `${a} ${id}`))).sort();
}

describe('kill -9 and restart', () => {
  it('loses nothing acknowledged, duplicates nothing, and leaks nothing after GC', async () => {
    const first = startAgent();
    const sock1 = new SocketClient(socketPath);
    await ready(sock1);
    const exited = new Promise((resolve) => first.once('exit', (code, signal) => resolve(signal ?? code)));
    const before = await storm({
      sock: sock1,
      prefix: 'a',
      count: 600,
      concurrency: 32,
      victim: first,
      killAfter: 150,
    });
    expect(await exited).toBe('SIGKILL');
    sock1.close();
    expect(before.size).toBeGreaterThanOrEqual(150);
    expect(before.size).toBeLessThan(600);

    const second = startAgent();
    const sock2 = new SocketClient(socketPath);
    await ready(sock2);
    // Nothing lost: every acknowledged attachment still holds the same addresses (a repeated ADD returns them).
    for (const [id, addrs] of before) {
      const res = await sock2.post<AllocateResponse>(
        '/v1/allocate',
        allocateRequest({ network: NETWORK, containerID: id, podUID: `uid-${id}`, nics: ['eth1', 'eth2'] }),
      );
      expect(res.body.allocations.map((a) => `${a.ippool}/${a.address.split('/')[0]}`)).toEqual(addrs);
    }
    // Nothing duplicated: new allocations after the restart never collide with what was acknowledged before.
    const after = await storm({ sock: sock2, prefix: 'b', count: 100, concurrency: 16 });
    expect(after.size).toBe(100);
    const all = [...before.values(), ...after.values()].flat();
    expect(new Set(all).size).toBe(all.length);
    // Nothing leaked: requests that were persisted but never answered are released by CNI GC.
    const valid = [...before.keys(), ...after.keys()].map((containerID) => ({ containerID, ifname: 'net1' }));
    const gc = await sock2.post<{ released: number; kept: number }>('/v1/gc', {
      network: NETWORK,
      validAttachments: valid,
    });
    expect(gc.body.kept).toBe(2 * valid.length);
    await eventually(
      async () => expect(await mirroredAllocations(client, NODE)).toEqual(expectedStatus(before, after)),
      30_000,
    );
    sock2.close();
    // Graceful shutdown: SIGTERM stops serving, flushes, and exits 0.
    const stopped = new Promise((resolve) => second.once('exit', (code, signal) => resolve(signal ?? code)));
    second.kill('SIGTERM');
    expect(await stopped).toBe(0);
    const log = readFileSync(path.join(dir, 'agent.log'), 'utf8');
    expect(log).not.toMatch(/"level":"(error|fatal)"/);
  }, 120_000);

  it('SIGTERM writes the pending IPPool status at once, without waiting for the batch delay', async () => {
    const slow = path.join(dir, 'agent-slow-mirror.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(slow, JSON.stringify({ ...config, mirror: { batchMs: 600_000, retryMs: 100 } }));
    const third = startAgent(slow);
    const sock = new SocketClient(socketPath);
    await ready(sock);
    const statusBefore = await mirroredAllocations(client, NODE);
    const res = await sock.post<AllocateResponse>(
      '/v1/allocate',
      allocateRequest({ network: NETWORK, containerID: 'late', podUID: 'uid-late', nics: ['eth1', 'eth2'] }),
    );
    expect(res.status).toBe(200);
    sock.close();
    const stopped = new Promise((resolve) => third.once('exit', (code, signal) => resolve(signal ?? code)));
    third.kill('SIGTERM');
    expect(await stopped).toBe(0);
    const late = res.body.allocations.map((a) => `${a.ippool}/${a.address.split('/')[0]} late`);
    expect(await mirroredAllocations(client, NODE)).toEqual([...statusBefore, ...late].sort());
  }, 60_000);
});
