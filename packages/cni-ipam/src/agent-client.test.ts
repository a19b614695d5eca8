// The agent client's answer to an agent that dies in the middle of a request (issue 23, finding 6): the spec's
// code 11 (try again later), so that runtimes retry, never 999. Real unix sockets, no agent.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { CniErrorCode } from '@multinic/crd-types';
import { AgentClient } from './agent-client.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mn-agent-client-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

async function agentThat(
  behave: (socket: Socket) => void,
): Promise<{ client: AgentClient; close: () => Promise<void> }> {
  n += 1;
  const socketPath = path.join(dir, `a${n}.sock`);
  const server: Server = createServer((socket) => socket.once('data', () => behave(socket)));
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    client: new AgentClient({ socketPath, timeoutMs: 5_000 }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const allocate = (client: AgentClient) =>
  client.allocate({
    containerID: 'c1',
    ifname: 'net1',
    network: 'n',
    podName: 'p',
    podNamespace: 'default',
    podUID: 'u1',
    nics: [],
  } as never);

describe('AgentClient when the agent dies mid-request', () => {
  it.each([
    ['closes the connection without a word', (s: Socket) => s.end()],
    ['drops the connection (destroyed, no FIN handshake)', (s: Socket) => s.destroy()],
    ['closes inside the headers', (s: Socket) => s.end('HTTP/1.1 200 OK\r\nContent-Ty')],
    ['closes inside the body', (s: Socket) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"allocations":')],
  ])('answers code 11 (try again later) when the agent %s', async (_what, behave) => {
    const { client, close } = await agentThat(behave);
    try {
      const err = (await allocate(client).catch((e: unknown) => e)) as { code?: number; message?: string };
      expect(err.code).toBe(CniErrorCode.TryAgainLater);
      expect(err.message).toMatch(/the multinic node agent is not reachable at .*a\d+\.sock/);
    } finally {
      await close();
    }
  });

  it('still answers 999 for an answer that is not HTTP at all (a different program on the socket)', async () => {
    const { client, close } = await agentThat((s) => s.end('SSH-2.0-OpenSSH\r\n\r\n'));
    try {
      const err = (await allocate(client).catch((e: unknown) => e)) as { code?: number; message?: string };
      expect(err.code).toBe(999);
      expect(err.message).toMatch(/not HTTP this plugin can read/);
    } finally {
      await close();
    }
  });
});
