// postUnix against real servers on unix sockets: node:http (what the agent runs, Content-Length and chunked
// answers) and raw sockets for the answers it must refuse.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  AnswerTimeoutError,
  ConnectionClosedError,
  MalformedAnswerError,
  decodeChunked,
  postUnix,
} from './unix-http.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mn-unix-http-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

async function listen(server: Server | HttpServer): Promise<{ socketPath: string; close: () => Promise<void> }> {
  n += 1;
  const socketPath = path.join(dir, `s${n}.sock`);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return { socketPath, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function raw(answer: (socket: Socket) => void): Server {
  return createNetServer((socket) => socket.once('data', () => answer(socket)));
}

const post = (socketPath: string, extra: Partial<Parameters<typeof postUnix>[0]> = {}) =>
  postUnix({ socketPath, path: '/v1/echo', body: '{"ünï":"cödé"}', timeoutMs: 5_000, maxBytes: 1 << 20, ...extra });

describe('postUnix', () => {
  it('POSTs JSON to a node:http server and reads its Content-Length and chunked answers', async () => {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const echo = JSON.stringify({
          method: req.method,
          url: req.url,
          type: req.headers['content-type'],
          body: Buffer.concat(chunks).toString('utf8'),
        });
        if (req.url === '/chunked') {
          res.writeHead(207, { 'content-type': 'application/json' });
          res.write(echo.slice(0, 5));
          setTimeout(() => res.end(echo.slice(5)), 20);
        } else {
          res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(echo) });
          res.end(echo);
        }
      });
    });
    const { socketPath, close } = await listen(server);
    try {
      const plain = await post(socketPath);
      expect(plain.status).toBe(201);
      expect(JSON.parse(plain.body)).toEqual({
        method: 'POST',
        url: '/v1/echo',
        type: 'application/json',
        body: '{"ünï":"cödé"}',
      });
      const chunked = await post(socketPath, { path: '/chunked' });
      expect(chunked.status).toBe(207);
      expect(JSON.parse(chunked.body)).toEqual({
        method: 'POST',
        url: '/chunked',
        type: 'application/json',
        body: '{"ünï":"cödé"}',
      });
    } finally {
      await close();
    }
  });

  it('reads an answer without Content-Length up to the end of the connection', async () => {
    const { socketPath, close } = await listen(raw((s) => s.end('HTTP/1.0 200 OK\r\n\r\n{"a":1}')));
    try {
      expect(await post(socketPath)).toEqual({ status: 200, body: '{"a":1}' });
    } finally {
      await close();
    }
  });

  it.each([
    ['no status line', 'SSH-2.0-OpenSSH\r\n\r\n', /not an HTTP\/1.1 status line/, MalformedAnswerError],
    [
      'a bad length',
      'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n{}',
      /bad Content-Length "-1"/,
      MalformedAnswerError,
    ],
    [
      'a short body (closed early)',
      'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}',
      /ended after 2 of 10 bytes/,
      ConnectionClosedError,
    ],
    ['no answer at all (closed early)', '', /closed without an answer/, ConnectionClosedError],
    ['cut headers (closed early)', 'HTTP/1.1 200 OK\r\nContent-Le', /closed inside the headers/, ConnectionClosedError],
    [
      'a cut chunked body (closed early)',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n',
      /closed inside a chunked body/,
      ConnectionClosedError,
    ],
  ])('refuses %s', async (_what, answer, message, kind) => {
    const { socketPath, close } = await listen(raw((s) => s.end(answer)));
    try {
      const err = await post(socketPath).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(kind);
      expect((err as Error).message).toMatch(message);
    } finally {
      await close();
    }
  });

  it('gives up on an answer larger than maxBytes', async () => {
    const { socketPath, close } = await listen(
      raw((s) => s.end(`HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n${'x'.repeat(5000)}`)),
    );
    try {
      await expect(post(socketPath, { maxBytes: 1000 })).rejects.toThrow(/exceeds 1000 bytes/);
    } finally {
      await close();
    }
  });

  it('times out when the server never answers', async () => {
    const held: Socket[] = [];
    const { socketPath, close } = await listen(raw((s) => held.push(s)));
    try {
      const err = await post(socketPath, { timeoutMs: 200 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AnswerTimeoutError);
    } finally {
      for (const s of held) s.destroy();
      await close();
    }
  });

  it('passes on the connect error when nobody listens', async () => {
    await expect(post(path.join(dir, 'nobody.sock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('decodeChunked', () => {
  it('joins the chunks and waits for the last one', () => {
    expect(decodeChunked(Buffer.from('3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n'))?.toString()).toBe('abcde');
    expect(decodeChunked(Buffer.from('3\r\nabc\r\n2\r\nd'))).toBeUndefined();
    expect(() => decodeChunked(Buffer.from('zz\r\n'))).toThrow(/bad chunk size "zz"/);
  });
});
