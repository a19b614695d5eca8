// A NIC lent to a pod: host-device moves the whole NIC into the pod's network namespace, so discovery no longer
// sees it. The agent keeps reporting it (last-known addressing, `lentTo`) while a pod holds an address on it — also
// across a restart — so the controller keeps its plan and IPPool; and no second pod is ever given it. Real
// kube-apiserver, a network namespace as the host, `ip link set … netns` as host-device does it.
// And the agent gives back what it lent: moving a link to another namespace and back drops its addresses and leaves
// it down (what Debian's host-device 1.1.1 DEL returns), so once no pod holds it the agent brings it up and re-adds
// its addresses and the routes through it, also when it was restarted while the NIC was away.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { HostInterface, HostNic } from '@multinic/crd-types';
import type { KubeClient } from '@multinic/kube';
import { addNetns, deleteNetns } from '@multinic/testenv';
import { startTestEnv, type TestEnv } from '@multinic/testenv';
import type { Agent } from '../src/agent.js';
import type { AgentConfig } from '../src/config.js';
import { DEFAULT_EXCLUDE_NAMES } from '../src/discovery/nics.js';
import {
  GROUP,
  SocketClient,
  TestHost,
  agentConfig,
  allocateRequest,
  createNetwork,
  eventually,
  ip,
  kube,
  startAgent as startTestAgent,
  tearDown,
} from './helpers.js';

const NODE = 'node1';
const NETWORK = 'net-hd';
let env: TestEnv | undefined;
let host: TestHost | undefined;
let podNs: string | undefined;
let agent: Agent | undefined;
let client: KubeClient;
let sock: SocketClient;
let config: AgentConfig;
let dir: string;
const now = 1_700_000_000_000;

function theHost(): TestHost {
  if (host === undefined) throw new Error('no test host');
  return host;
}

function theAgent(): Agent {
  if (agent === undefined) throw new Error('no agent');
  return agent;
}

async function startAgent(): Promise<Agent> {
  return startTestAgent({ config, dir, kubeConfig: theEnv().kubeConfig, host: theHost().ops(), clock: () => now });
}

function theEnv(): TestEnv {
  if (env === undefined) throw new Error('no test env');
  return env;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mn-lent-'));
  host = new TestHost();
  host.addNic({ name: 'eth0', cidr: '10.10.0.2/24', defaultVia: '10.10.0.1' });
  host.addNic({ name: 'eth3', cidr: '10.10.3.2/24' });
  host.addNic({ name: 'eth4', cidr: '10.10.3.3/24' });
  podNs = `${host.ns}-pod`;
  addNetns(podNs);
  env = await startTestEnv({ controllerManager: false });
  client = kube(env.kubeConfig);
  config = agentConfig(dir, NODE, {
    // The loop stays out of the way: each test runs discovery itself.
    discovery: { pollMs: 600_000, excludeNames: [...DEFAULT_EXCLUDE_NAMES] },
    routes: { enabled: false },
    gc: { enabled: false },
  });
  agent = await startAgent();
  sock = new SocketClient(config.socketPath);
  await theAgent().hooks.discoverNow();
  const me = {
    hostName: NODE,
    interfaces: (await nicsReported()).map(({ interfaceName, netAddress, hostIP }) => ({
      interfaceName,
      netAddress,
      hostIP,
    })),
  };
  await createNetwork(client, { name: NETWORK, subnet: '192.168.0.0/16', hosts: [me], plugin: 'host-device' });
  await eventually(async () =>
    expect((await sock.post('/v1/status', { network: NETWORK })).body).toEqual({ ready: true }),
  );
}, 180_000);

afterAll(async () => {
  if (podNs !== undefined) deleteNetns(podNs);
  await tearDown({ sock, agent, client, env, host, dir });
}, 60_000);

async function nicsReported(): Promise<HostNic[]> {
  const hi = await client.request<HostInterface>({ method: 'GET', path: `${GROUP}/hostinterfaces/${NODE}` });
  return hi.spec.interfaces;
}

/** `name address lentTo` of each reported NIC. */
async function reported(): Promise<string[]> {
  return (await nicsReported()).map((n) => `${n.interfaceName} ${n.hostIP} ${n.lentTo ?? '-'}`);
}

async function select(pod: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return sock.post('/v1/select', {
    network: NETWORK,
    containerID: `c-${pod}`,
    ifname: 'net1',
    pod: { name: `pod-${pod}`, namespace: 'default', uid: pod },
    cniArgs: { nics: 1 },
  });
}

function chosen(res: { body: Record<string, unknown> }): string[] {
  return ((res.body.nics ?? []) as { interfaceName: string }[]).map((n) => n.interfaceName);
}

async function allocate(pod: string, nic: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return sock.post(
    '/v1/allocate',
    allocateRequest({ network: NETWORK, containerID: `c-${pod}`, podUID: pod, nics: [nic] }),
  );
}

/** What host-device does on ADD (and DEL): move the link into (out of) the pod's namespace. */
function moveToPod(nic: string): void {
  ip(['-n', theHost().ns, 'link', 'set', nic, 'netns', podNs ?? '']);
}

function moveBack(nic: string, cidr: string): void {
  ip(['-n', podNs ?? '', 'link', 'set', nic, 'netns', theHost().ns]);
  ip(['-n', theHost().ns, 'addr', 'add', cidr, 'dev', nic]);
  ip(['-n', theHost().ns, 'link', 'set', nic, 'up']);
}

describe('a NIC lent to a pod', () => {
  it('a second host-device pod gets the other NIC; an allocate on the held NIC is "try again" (code 11)', async () => {
    expect(chosen(await select('a'))).toEqual(['eth3']);
    expect((await allocate('a', 'eth3')).status).toBe(200);
    // Not moved yet (discovery has not run): the allocation alone keeps eth3 from pod b.
    expect(chosen(await select('b'))).toEqual(['eth4']);
    const race = await allocate('b', 'eth3');
    expect([race.status, race.body.code]).toEqual([409, 11]);
    expect(race.body.msg).toMatch(/NIC eth3 is in use by pod default\/pod-a/);
    // A repeated ADD of pod a still gets its own NIC.
    expect(chosen(await select('a'))).toEqual(['eth3']);
  });

  it('once moved into the pod, it stays in the HostInterface with its last-known addressing and lentTo', async () => {
    moveToPod('eth3');
    await theAgent().hooks.discoverNow();
    expect(await reported()).toEqual(['eth3 10.10.3.2 default/pod-a', 'eth4 10.10.3.3 -']);
    const eth3 = (await nicsReported()).find((n) => n.interfaceName === 'eth3');
    expect(eth3).toMatchObject({ netAddress: '10.10.3.0/24', hostIP: '10.10.3.2', lentTo: 'default/pod-a' });
    expect(chosen(await select('b'))).toEqual(['eth4']);
  });

  it('both NICs lent: a third pod gets a clear "no free NIC"', async () => {
    expect((await allocate('b', 'eth4')).status).toBe(200);
    moveToPod('eth4');
    await theAgent().hooks.discoverNow();
    expect(await reported()).toEqual(['eth3 10.10.3.2 default/pod-a', 'eth4 10.10.3.3 default/pod-b']);
    const res = await select('c');
    expect([res.status, res.body.code, res.body.details]).toEqual([409, 11, 'no-free-nic']);
    expect(res.body.msg).toMatch(
      /^no free NIC for network net-hd on this node: eth3 lent to pod default\/pod-a .*; eth4 lent to pod default\/pod-b/,
    );
  });

  it('an agent restarted while the NICs are lent reports them as before (from the HostInterface and its checkpoint)', async () => {
    const before = await nicsReported();
    await theAgent().stop();
    agent = await startAgent();
    await theAgent().hooks.discoverNow();
    expect(await nicsReported()).toEqual(before);
    expect((await select('c')).status).toBe(409);
  });

  it('released and back on the host, a NIC is reported as a plain NIC again and can be chosen', async () => {
    const rel = await sock.post('/v1/release', { network: NETWORK, containerID: 'c-a', ifname: 'net1', podUID: 'a' });
    expect(rel.status).toBe(200);
    moveBack('eth3', '10.10.3.2/24');
    // The kernel reports the link's operstate UP a moment after it is set up (linkwatch).
    await eventually(async () => {
      await theAgent().hooks.discoverNow();
      expect(await reported()).toEqual(['eth3 10.10.3.2 -', 'eth4 10.10.3.3 default/pod-b']);
    });
    expect(chosen(await select('c'))).toEqual(['eth3']);
  });
});

/** What host-device's DEL leaves on the host: the link back under its name, down, without any address. */
function returnAsHostDeviceDoes(nic: string): void {
  ip(['-n', podNs ?? '', 'link', 'set', nic, 'netns', theHost().ns]);
}

interface AddrShow {
  ifname: string;
  flags: string[];
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** `UP|DOWN address/len …` of a link in the host namespace (IPv4 addresses). */
function linkState(nic: string): string {
  const [link] = theHost().json<AddrShow[]>(['addr', 'show', 'dev', nic]);
  if (link === undefined) return 'absent';
  const addrs = (link.addr_info ?? []).filter((a) => a.family === 'inet');
  return [link.flags.includes('UP') ? 'UP' : 'DOWN', ...addrs.map((a) => `${a.local}/${a.prefixlen}`)].join(' ');
}

/** The routes through a NIC via a gateway. */
function routesVia(nic: string): string[] {
  return theHost()
    .json<{ dst: string; gateway?: string }[]>(['route', 'show', 'dev', nic])
    .filter((r) => r.gateway !== undefined)
    .map((r) => `${r.dst} via ${r.gateway ?? '-'}`);
}

async function events(reason: string): Promise<string[]> {
  const list = await client.request<{
    items: { reason: string; type: string; message: string; involvedObject: { kind: string; name: string } }[];
  }>({ method: 'GET', path: '/api/v1/namespaces/default/events' });
  return list.items
    .filter((e) => e.reason === reason && e.involvedObject.kind === 'HostInterface' && e.involvedObject.name === NODE)
    .map((e) => `${e.type}: ${e.message}`);
}

function recordFile(): { nics: { nic: { interfaceName: string }; routes: unknown[]; lentTo: string }[] } {
  const file = path.join(config.stateDir, 'lent-nics.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { nics: [] };
}

describe('the agent gives back what it lent', () => {
  it('records the NIC as it was (addresses, routes through it) when it is lent', async () => {
    ip(['-n', theHost().ns, 'route', 'add', '10.20.0.0/16', 'via', '10.10.3.1', 'dev', 'eth3']);
    await theAgent().hooks.discoverNow();
    expect((await nicsReported()).find((n) => n.interfaceName === 'eth3')).toMatchObject({
      hostIP: '10.10.3.2',
      gateway: '10.10.3.1',
    });
    expect((await allocate('d', 'eth3')).status).toBe(200);
    moveToPod('eth3');
    await theAgent().hooks.discoverNow();
    expect(await reported()).toEqual(['eth3 10.10.3.2 default/pod-d', 'eth4 10.10.3.3 default/pod-b']);
    expect(recordFile().nics.find((r) => r.nic.interfaceName === 'eth3')).toEqual({
      nic: expect.objectContaining({ interfaceName: 'eth3', hostIP: '10.10.3.2', gateway: '10.10.3.1' }),
      routes: [{ family: 4, dst: '10.20.0.0/16', gateway: '10.10.3.1' }],
      lentTo: 'default/pod-d',
    });
  });

  it('back on the host while the pod still holds it (DEL before release): not touched, still lent', async () => {
    returnAsHostDeviceDoes('eth3');
    expect(linkState('eth3')).toBe('DOWN');
    await theAgent().hooks.discoverNow();
    expect(linkState('eth3')).toBe('DOWN');
    expect(await reported()).toEqual(['eth3 10.10.3.2 default/pod-d', 'eth4 10.10.3.3 default/pod-b']);
  });

  it('released, across an agent restart: up again with its address and route, a plain NIC, an Event says so', async () => {
    await theAgent().stop();
    agent = await startAgent();
    const rel = await sock.post('/v1/release', { network: NETWORK, containerID: 'c-d', ifname: 'net1', podUID: 'd' });
    expect(rel.status).toBe(200);
    await theAgent().hooks.discoverNow();
    expect(linkState('eth3')).toBe('UP 10.10.3.2/24');
    expect(routesVia('eth3')).toEqual(['10.20.0.0/16 via 10.10.3.1']);
    expect(await reported()).toEqual(['eth3 10.10.3.2 -', 'eth4 10.10.3.3 default/pod-b']);
    expect((await nicsReported()).find((n) => n.interfaceName === 'eth3')?.gateway).toBe('10.10.3.1');
    expect(recordFile().nics.map((r) => r.nic.interfaceName)).toEqual(['eth4']);
    await eventually(async () =>
      expect(await events('NicReturned')).toEqual([
        'Normal: NIC eth3 came back from pod default/pod-d (host-device gives it back down and without addresses): brought it up, re-added 10.10.3.2/24, re-added the routes 10.20.0.0/16 via 10.10.3.1 dev eth3',
      ]),
    );
    expect(chosen(await select('e'))).toEqual(['eth3']);
  });

  it('a NIC the agent never lent that appears down and without an address stays untouched', async () => {
    theHost().addNic({ name: 'eth5', up: false });
    await theAgent().hooks.discoverNow();
    expect(linkState('eth5')).toBe('DOWN');
    expect((await reported()).map((r) => r.split(' ')[0])).toEqual(['eth3', 'eth4']);
  });

  it('a pod that comes and goes between two discovery runs: its NIC is recorded at allocation and given back', async () => {
    const releaseB = await sock.post('/v1/release', {
      network: NETWORK,
      containerID: 'c-b',
      ifname: 'net1',
      podUID: 'b',
    });
    expect(releaseB.status).toBe(200);
    returnAsHostDeviceDoes('eth4');
    await theAgent().hooks.discoverNow();
    expect(linkState('eth4')).toBe('UP 10.10.3.3/24');
    expect(await reported()).toEqual(['eth3 10.10.3.2 -', 'eth4 10.10.3.3 -']);
    // Allocate, host-device ADD and DEL, release: no discovery run in between.
    expect((await allocate('g', 'eth4')).status).toBe(200);
    expect(recordFile().nics.map((r) => `${r.nic.interfaceName} ${r.lentTo}`)).toEqual(['eth4 default/pod-g']);
    moveToPod('eth4');
    returnAsHostDeviceDoes('eth4');
    expect(linkState('eth4')).toBe('DOWN');
    const rel = await sock.post('/v1/release', { network: NETWORK, containerID: 'c-g', ifname: 'net1', podUID: 'g' });
    expect(rel.status).toBe(200);
    await theAgent().hooks.discoverNow();
    expect(linkState('eth4')).toBe('UP 10.10.3.3/24');
    expect(await reported()).toEqual(['eth3 10.10.3.2 -', 'eth4 10.10.3.3 -']);
    expect(recordFile().nics).toEqual([]);
  });

  it('an address another interface has now is never re-added; a Warning Event names it', async () => {
    expect((await allocate('f', 'eth3')).status).toBe(200);
    moveToPod('eth3');
    await theAgent().hooks.discoverNow();
    ip(['-n', theHost().ns, 'addr', 'add', '10.10.3.2/24', 'dev', 'eth5']);
    const rel = await sock.post('/v1/release', { network: NETWORK, containerID: 'c-f', ifname: 'net1', podUID: 'f' });
    expect(rel.status).toBe(200);
    returnAsHostDeviceDoes('eth3');
    await theAgent().hooks.discoverNow();
    expect(linkState('eth3')).toBe('UP');
    expect(linkState('eth5')).toBe('DOWN 10.10.3.2/24');
    // Not back as it was: still reported as lent (its IPPool stays) until discovery.returnWaitMs.
    expect(await reported()).toEqual(['eth3 10.10.3.2 default/pod-f', 'eth4 10.10.3.3 -']);
    await eventually(async () =>
      expect(await events('NicReturnIncomplete')).toEqual([
        expect.stringMatching(
          /^Warning: NIC eth3 came back from pod default\/pod-f .*: brought it up; address 10\.10\.3\.2\/24 \(on eth5\) not re-added: another interface has it; ip -4 route add 10\.20\.0\.0\/16 via 10\.10\.3\.1 dev eth3: Error: Nexthop has invalid gateway\.$/,
        ),
      ]),
    );
  });
});
