// Hostile input kept in the suite (issue 23): the agent's local API — the real socket server, the real handlers, a
// real AllocationStore and its checkpoint in a temp directory, no Kubernetes — under mutated request bodies and
// malformed HTTP. Every answer is a success body valid for its route's schema or an AgentError with a 4xx/5xx status
// (never a 500: nothing here can fail to write the checkpoint; malformed HTTP gets a 4xx AgentError too); nothing reaches the server's error hook; the store
// never holds an address twice in a pool, and the checkpoint on disk says the same as the store.
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { pino } from 'pino';
import type { z } from 'zod';
import type { HostNic, MultiNicNetwork } from '@multinic/crd-types';
import {
  AGENT_PATHS,
  AgentErrorSchema,
  AllocateResponseSchema,
  GcResponseSchema,
  LookupResponseSchema,
  ReleaseResponseSchema,
  SelectResponseSchema,
  StatusResponseSchema,
} from '@multinic/crd-types';
import { mutate, mutation } from '../../../test-support/cni-fuzz.js';
import type { Json } from '../../../test-support/cni-fuzz.js';
import { CheckpointWriter, loadCheckpoint } from '../src/ipam/checkpoint/index.js';
import { AllocationStore } from '../src/ipam/store.js';
import { AgentMetrics } from '../src/metrics.js';
import { apiRoutes } from '../src/server/api.js';
import type { SocketServer } from '../src/server/socket.js';
import { serveSocket } from '../src/server/socket.js';

const SEED = Number(process.env['MULTINIC_FUZZ_SEED'] ?? 23);
const dir = mkdtempSync(path.join(tmpdir(), 'mn-api-fuzz-'));
const socketPath = path.join(dir, 'run', 'agent.sock');
const file = path.join(dir, 'state', 'allocations.json');

const hostNics: HostNic[] = [
  { interfaceName: 'eth1', netAddress: '10.10.1.0/24', hostIP: '10.10.1.2' },
  { interfaceName: 'eth2', netAddress: '10.10.2.0/24', hostIP: '10.10.2.2' },
];
const netA = {
  apiVersion: 'multinic.dev/v1',
  kind: 'MultiNicNetwork',
  metadata: { name: 'net-a' },
  spec: {
    subnet: '192.168.0.0/16',
    ipam: { type: 'multi-nic-ipam', hostBlock: 6, interfaceBlock: 2 },
    plugin: { cniVersion: '1.0.0', type: 'macvlan' },
  },
} as MultiNicNetwork;

const store = new AllocationStore();
store.setPools([
  {
    name: 'net-a-node1-eth1',
    network: 'net-a',
    interfaceName: 'eth1',
    podCIDR: '192.168.0.0/29',
    vlanCIDR: '192.168.0.0/18',
    excludes: [],
  },
  {
    name: 'net-a-node1-eth2',
    network: 'net-a',
    interfaceName: 'eth2',
    podCIDR: '192.168.64.0/29',
    vlanCIDR: '192.168.64.0/18',
    excludes: ['192.168.64.2'],
  },
  {
    name: 'net-b-node1-eth1',
    network: 'net-b',
    interfaceName: 'eth1',
    podCIDR: '10.1.0.0/30',
    vlanCIDR: '10.1.0.0/24',
    excludes: [],
  },
]);
const checkpoint = new CheckpointWriter({
  file,
  snapshot: () => ({
    version: 1,
    nodeName: 'node1',
    pools: store.pools(),
    routeTables: {},
    allocations: store.records(),
  }),
});
const serverErrors: unknown[] = [];
let server: SocketServer;

beforeAll(async () => {
  const routes = apiRoutes({
    store,
    persist: () => checkpoint.persist(),
    changed: () => undefined, // no IPPool mirror: no Kubernetes here
    clock: () => 1_000,
    metrics: new AgentMetrics({ defaultMetrics: false }),
    log: pino({ level: 'silent' }),
    hostNics: () => hostNics,
    network: (name) => (name === 'net-a' ? netA : undefined),
    nicClass: () => undefined,
    notReady: () => undefined,
  });
  server = await serveSocket({ socketPath, routes, onError: (err) => serverErrors.push(err), requestTimeoutMs: 2_000 });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

type Route = keyof typeof AGENT_PATHS;
const RESPONSES: Record<Route, z.ZodType> = {
  select: SelectResponseSchema,
  allocate: AllocateResponseSchema,
  release: ReleaseResponseSchema,
  gc: GcResponseSchema,
  lookup: LookupResponseSchema,
  status: StatusResponseSchema,
};

/** Valid bodies per route over a few containers and pods, so that repeats, identity conflicts and exhaustion happen. */
function validBody(route: Route, c: { container: string; pod: string; nics: number; ips: boolean }): Json {
  const attachment = { network: 'net-a', containerID: c.container, ifname: 'net1' };
  const pod = { name: `p-${c.pod}`, namespace: 'default', uid: c.pod };
  const nics = hostNics
    .slice(0, c.nics)
    .map((n, i) => ({ interfaceName: n.interfaceName, netAddress: n.netAddress, podInterface: `net1-${i}` }));
  switch (route) {
    case 'select':
      return { ...attachment, pod, cniArgs: { nics: c.nics } };
    case 'allocate':
      return { ...attachment, pod, nics, ...(c.ips ? { ips: ['192.168.0.3'] } : {}) };
    case 'release':
      return { ...attachment, podUID: c.pod };
    case 'gc':
      return { network: 'net-a', validAttachments: [{ containerID: c.container, ifname: 'net1' }] };
    case 'lookup':
      return attachment;
    case 'status':
      return { network: 'net-a' };
  }
}

const request = fc.record({
  route: fc.constantFrom<Route>(
    'select',
    'allocate',
    'allocate',
    'allocate',
    'release',
    'release',
    'gc',
    'lookup',
    'status',
  ),
  path: fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 10 },
    {
      arbitrary: fc.constantFrom(
        '/',
        '/v1',
        '/v1/allocate/',
        '/v1/ALLOCATE',
        '/v1/allocate?x=1',
        '/../v1/status',
        '//v1/status',
        '*',
      ),
      weight: 1,
    },
  ),
  method: fc.oneof(
    { arbitrary: fc.constant('POST'), weight: 10 },
    { arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'), weight: 1 },
  ),
  container: fc.constantFrom('c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8'),
  pod: fc.constantFrom('u1', 'u2', 'u3'),
  nics: fc.integer({ min: 1, max: 2 }),
  ips: fc.boolean(),
  mutations: fc.oneof(fc.constant([]), fc.array(mutation, { minLength: 1, maxLength: 3 })),
  raw: fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 10 },
    {
      arbitrary: fc.oneof(
        fc.string({ unit: 'binary', maxLength: 80 }),
        fc.constantFrom('', 'null', '[]', '1', '"x"', '{', '{"network":', '\uFEFF{}', 'x'.repeat(2 * 1024 * 1024)),
      ),
      weight: 1,
    },
  ),
});

function post(options: { method: string; path: string; body: string }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath, path: options.path, method: options.method, headers: { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Bytes straight onto the socket: what comes back before the server closes or 3 s pass. */
function raw(bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const c = net.connect(socketPath);
    const done = (): void => {
      c.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, 3_000);
    c.on('data', (b: Buffer) => chunks.push(b));
    c.on('close', () => {
      clearTimeout(timer);
      done();
    });
    c.on('error', () => undefined);
    c.end(bytes);
  });
}

function answerProblems(route: Route, out: { status: number; text: string }): string[] {
  let body: unknown;
  try {
    body = JSON.parse(out.text);
  } catch {
    return [`status ${out.status} with a body that is not JSON: ${out.text.slice(0, 200)}`];
  }
  if (out.status === 200) {
    const parsed = RESPONSES[route].safeParse(body);
    return parsed.success ? [] : [`200 with a body that is not a ${route} response: ${out.text.slice(0, 300)}`];
  }
  const problems: string[] = [];
  // 500 is an internal error or a failed checkpoint write: neither may happen here (503 is the agent's "try again").
  if (out.status < 400 || out.status >= 600 || out.status === 500) problems.push(`status ${out.status}`);
  if (!AgentErrorSchema.safeParse(body).success) problems.push(`not an AgentError: ${out.text.slice(0, 300)}`);
  if (/^\s+at |\.(?:c?js|ts):\d+:\d+/m.test(out.text)) problems.push(`a stack trace: ${out.text.slice(0, 300)}`);
  return problems;
}

/** No address held twice in a pool; the records' attachments each name one pod. */
function storeProblems(): string[] {
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const r of store.records()) {
    const key = `${r.pool} ${r.address}`;
    const holder = `${r.containerID}/${r.ifname}`;
    const other = seen.get(key);
    if (other !== undefined) problems.push(`${r.address} in ${r.pool} held by ${other} and ${holder}`);
    seen.set(key, holder);
  }
  return problems;
}

describe('the agent API under hostile input', () => {
  it(`answers every mutated request with a valid body or an AgentError, and the store stays consistent (200 requests, seed ${SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const body = r.raw ?? JSON.stringify(mutate(validBody(r.route, r), r.mutations));
        const out = await post({ method: r.method, path: r.path ?? AGENT_PATHS[r.route], body });
        const problems = [...answerProblems(r.route, out), ...storeProblems()];
        expect({ body: body.slice(0, 300), problems }).toEqual({ body: body.slice(0, 300), problems: [] });
      }),
      { seed: SEED, numRuns: 200 },
    );
    expect(serverErrors).toEqual([]);
    const loaded = loadCheckpoint(file, 1_000);
    expect(
      loaded.kind === 'loaded'
        ? loaded.checkpoint.allocations.map((a) => `${a.pool} ${a.address} ${a.containerID}`).sort()
        : loaded.kind,
    ).toEqual(
      store
        .records()
        .map((a) => `${a.pool} ${a.address} ${a.containerID}`)
        .sort(),
    );
  }, 120_000);

  // Found by the property: Node's parser answered these with a bare status line and no AgentError.
  it.each([
    {
      name: 'a GET whose body has no length (read as the next request)',
      bytes: 'GET /v1/select HTTP/1.1\r\nHost: a\r\n\r\n{"a":1}',
      status: 400,
    },
    { name: 'garbage', bytes: 'GARBAGE\r\n\r\n', status: 400 },
    {
      name: 'a 70 kB header',
      bytes: `POST /v1/status HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`,
      status: 431,
    },
  ])('$name → $status with an AgentError', async ({ bytes, status }) => {
    const reply = await raw(bytes);
    const last = reply.slice(reply.lastIndexOf('HTTP/1.1 '));
    expect(last.slice(0, 12)).toBe(`HTTP/1.1 ${status}`);
    expect(AgentErrorSchema.parse(JSON.parse(last.slice(last.indexOf('\r\n\r\n') + 4)))).toMatchObject({
      msg: expect.stringContaining('malformed HTTP request'),
    });
  });

  it('answers malformed HTTP with a 4xx AgentError or by closing the connection, and keeps serving', async () => {
    const malformed = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.constantFrom(
        'GARBAGE\r\n\r\n',
        'POST /v1/status HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n{}',
        'POST /v1/status HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n{}',
        'POST /v1/status HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
        `POST /v1/status HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`,
        'POST /v1/status HTTP/9.9\r\n\r\n',
        'POST /v1/allocate HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
        '\0\0\0\0',
      ),
    );
    await fc.assert(
      fc.asyncProperty(malformed, async (bytes) => {
        const reply = await raw(bytes);
        // Every answer on the connection: a status line, then a JSON body (a success or an AgentError).
        const answers = reply.split(/(?=HTTP\/1\.1 \d{3} )/).filter((a) => a !== '');
        const problems = answers.flatMap((a) => {
          const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(a)?.[1]);
          const body = a.slice(a.indexOf('\r\n\r\n') + 4);
          let json: unknown;
          try {
            json = JSON.parse(body);
          } catch {
            return [`${status} with a body that is not JSON: ${a.slice(0, 200)}`];
          }
          if (status === 200) return [];
          return status >= 400 && status < 500 && AgentErrorSchema.safeParse(json).success
            ? []
            : [`${a.slice(0, 200)}`];
        });
        expect({ bytes: bytes.slice(0, 120), problems }).toEqual({ bytes: bytes.slice(0, 120), problems: [] });
      }),
      { seed: SEED, numRuns: 40 },
    );
    const alive = await post({ method: 'POST', path: AGENT_PATHS.status, body: '{}' });
    expect({ status: alive.status, errors: serverErrors }).toEqual({ status: 200, errors: [] });
  }, 180_000);
});
