// The unix-socket HTTP server on its own: routing, methods, body limits, socket mode and stale sockets.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { serveSocket } from '../src/server/socket.js';
import { eventually } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mn-sock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function request(
  socketPath: string,
  options: { method: string; path: string; body?: string },
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: options.path, method: options.method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
        }),
      );
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('serveSocket', () => {
  it('routes POSTs to handlers and answers every mistake with a JSON error naming what to do', async () => {
    const socketPath = path.join(dir, 'a', 'agent.sock');
    const seen: unknown[] = [];
    const server = await serveSocket({
      socketPath,
      maxBodyBytes: 64,
      routes: { '/v1/echo': async (body) => (seen.push(body), { status: 200, body: { ok: true } }) },
    });
    try {
      expect(statSync(socketPath).mode & 0o777).toBe(0o600);
      expect(statSync(path.dirname(socketPath)).mode & 0o777).toBe(0o700);
      expect(await request(socketPath, { method: 'POST', path: '/v1/echo', body: '{"a":1}' })).toEqual({
        status: 200,
        body: { ok: true },
      });
      expect(seen).toEqual([{ a: 1 }]);
      const missing = await request(socketPath, { method: 'POST', path: '/v1/nope', body: '{}' });
      expect([missing.status, missing.body['msg']]).toEqual([404, 'unknown path /v1/nope: use one of /v1/echo']);
      expect((await request(socketPath, { method: 'GET', path: '/v1/echo' })).status).toBe(405);
      const big = await request(socketPath, {
        method: 'POST',
        path: '/v1/echo',
        body: JSON.stringify({ x: 'y'.repeat(100) }),
      });
      expect([big.status, big.body['msg']]).toEqual([413, 'request body larger than 64 bytes']);
      expect(seen).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('replaces a stale socket file, refuses a live one or a regular file', async () => {
    const stale = path.join(dir, 'stale.sock');
    const old = net.createServer();
    await new Promise<void>((resolve) => old.listen(stale, resolve));
    const live = serveSocket({ socketPath: stale, routes: {} });
    await expect(live).rejects.toMatchObject({ code: 'SOCKET_IN_USE' });
    await new Promise<void>((resolve) => old.close(() => resolve()));
    // A socket file nobody listens on any more (its process was killed) is taken over.
    const child = spawn(process.execPath, ['-e', 'require("net").createServer().listen(process.argv[1])', stale], {
      stdio: 'ignore',
    });
    await eventually(() => expect(existsSync(stale)).toBe(true));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(existsSync(stale)).toBe(true);
    const server = await serveSocket({ socketPath: stale, routes: {} });
    await server.close();
    const file = path.join(dir, 'file.sock');
    writeFileSync(file, 'x');
    await expect(serveSocket({ socketPath: file, routes: {} })).rejects.toMatchObject({
      code: 'SOCKET_IN_USE',
      message: expect.stringMatching(/is not a socket/),
    });
  });

  it('forces an existing socket directory to 0700 (issue 23, finding 7)', async () => {
    const socketDir = path.join(dir, 'wide');
    mkdirSync(socketDir);
    chmodSync(socketDir, 0o755);
    const server = await serveSocket({ socketPath: path.join(socketDir, 'agent.sock'), routes: {} });
    try {
      expect(statSync(socketDir).mode & 0o777).toBe(0o700);
    } finally {
      await server.close();
    }
  });

  it('cuts a request whose body never finishes, and answers others meanwhile', async () => {
    const socketPath = path.join(dir, 'slow.sock');
    const server = await serveSocket({
      socketPath,
      requestTimeoutMs: 300,
      routes: { '/v1/echo': async () => ({ status: 200, body: { ok: true } }) },
    });
    const slow = net.connect(socketPath);
    try {
      const closed = new Promise<string>((resolve) => {
        let text = '';
        slow.on('data', (c: Buffer) => (text += c.toString('utf8')));
        slow.on('close', () => resolve(text));
      });
      slow.write(
        'POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":',
      );
      expect(await request(socketPath, { method: 'POST', path: '/v1/echo', body: '{}' })).toEqual({
        status: 200,
        body: { ok: true },
      });
      // Node answers 408 and closes; before, the slot was held for Node's default of 5 minutes.
      expect(await closed).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      slow.destroy();
      await server.close();
    }
  });

  it('over 1,024 open connections a CNI call is still answered (no connection limit refuses it)', async () => {
    const socketPath = path.join(dir, 'many.sock');
    const server = await serveSocket({
      socketPath,
      routes: { '/v1/echo': async () => ({ status: 200, body: { ok: true } }) },
    });
    const idle: net.Socket[] = [];
    try {
      for (let i = 0; i < 1_100; i++) idle.push(net.connect(socketPath));
      await Promise.all(
        idle.map((c) => new Promise<void>((resolve, reject) => c.once('connect', resolve).once('error', reject))),
      );
      expect(await request(socketPath, { method: 'POST', path: '/v1/echo', body: '{}' })).toEqual({
        status: 200,
        body: { ok: true },
      });
    } finally {
      for (const c of idle) c.destroy();
      await server.close();
    }
  });

  it('a client that goes away mid-request is no error: onAborted, not onError', async () => {
    const socketPath = path.join(dir, 'abort.sock');
    const errors: unknown[] = [];
    const aborted: unknown[] = [];
    const server = await serveSocket({
      socketPath,
      routes: { '/v1/echo': async () => ({ status: 200, body: {} }) },
      onError: (e) => errors.push(e),
      onAborted: (e) => aborted.push(e),
    });
    try {
      const c = net.connect(socketPath);
      await new Promise<void>((resolve) => c.once('connect', resolve));
      // `Expect: 100-continue`: the server answers 100 once it has taken the request, so the abort comes after that.
      const continued = new Promise((resolve) => c.once('data', resolve));
      c.write('POST /v1/echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 100\r\n\r\n');
      await continued;
      c.write('{"a":');
      c.destroy();
      await eventually(() => expect(aborted).toHaveLength(1));
      expect(errors).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
