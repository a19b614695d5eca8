// HTTP over a unix socket (never TCP), mode 0600 in a directory only root can enter. Requests and answers are JSON;
// every non-2xx answer is an AgentError naming the field at fault. No connection limit refuses a CNI call: slots are
// freed by short request and keep-alive timeouts, and the kernel's listen backlog queues a burst.
import { chmodSync, existsSync, lstatSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { AGENT_ERROR_CODES } from '@multinic/crd-types';
import type { ApiFailure } from '../errors.js';
import { AgentStartError, failure } from '../errors.js';

export interface Answer {
  readonly status: number;
  readonly body: unknown;
}

export type Handler = (body: unknown) => Promise<Answer>;

export interface SocketServerOptions {
  readonly socketPath: string;
  /** POST path → handler. */
  readonly routes: Readonly<Record<string, Handler>>;
  readonly observe?: (call: string, status: number, seconds: number) => void;
  readonly onError?: (err: unknown) => void;
  /** A client that went away before its answer (a plugin killed by its runtime): nothing to answer, no error. */
  readonly onAborted?: (err: unknown) => void;
  readonly maxBodyBytes?: number;
  /**
   * How long a client may take to send its whole request (headers and body), default 5 s. A connection that sends
   * nothing, or a body that never finishes, gives up its slot then instead of after Node's 5 minutes.
   */
  readonly requestTimeoutMs?: number;
}

/** Pending connections the kernel queues while the agent is busy: a burst of CNI calls waits instead of failing. */
const LISTEN_BACKLOG = 4096;

export interface SocketServer {
  close(): Promise<void>;
}

function send(res: http.ServerResponse, answer: Answer): void {
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function fail(f: ApiFailure): Answer {
  return { status: f.status, body: f.error };
}

/** The request body as text (listeners, not an async iterator: this runs for every request). */
function readBody(req: http.IncomingMessage, limit: number): Promise<string | ApiFailure> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge)
        resolve(
          failure({ status: 413, code: AGENT_ERROR_CODES.badRequest, msg: `request body larger than ${limit} bytes` }),
        );
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

async function dispatch(req: http.IncomingMessage, options: SocketServerOptions): Promise<Answer> {
  const url = req.url ?? '/';
  const handler = options.routes[url];
  if (handler === undefined) {
    return fail(
      failure({
        status: 404,
        code: AGENT_ERROR_CODES.badRequest,
        msg: `unknown path ${url}: use one of ${Object.keys(options.routes).join(', ')}`,
      }),
    );
  }
  if (req.method !== 'POST')
    return fail(
      failure({
        status: 405,
        code: AGENT_ERROR_CODES.badRequest,
        msg: `${url} takes POST with a JSON body, not ${req.method}`,
      }),
    );
  const text = await readBody(req, options.maxBodyBytes ?? 1024 * 1024);
  if (typeof text !== 'string') return fail(text);
  let body: unknown;
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch (err) {
    return fail(
      failure({
        status: 400,
        code: AGENT_ERROR_CODES.badRequest,
        msg: `the body is not JSON: ${(err as Error).message}`,
      }),
    );
  }
  return handler(body);
}

/** HTTP statuses of the parser's refusals; any other malformed request is a 400. */
const CLIENT_ERROR_STATUS: Readonly<Record<string, { readonly status: number; readonly reason: string }>> = {
  HPE_HEADER_OVERFLOW: { status: 431, reason: 'Request Header Fields Too Large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'Request Timeout' },
};

/**
 * A request the HTTP parser refuses (garbage, a body sent without a length, oversized headers, a timeout) is answered
 * like every other mistake: an AgentError as JSON, then the connection is closed. Node's default is a bare status line.
 */
function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const { status, reason } = CLIENT_ERROR_STATUS[err.code ?? ''] ?? { status: 400, reason: 'Bad Request' };
  const text = JSON.stringify(
    failure({
      status,
      code: AGENT_ERROR_CODES.badRequest,
      msg: `malformed HTTP request (${err.code ?? 'parse error'}): send one POST with a JSON body and a Content-Length`,
    }).error,
  );
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}

/** Refuses to take over a socket another process is serving; removes a stale one. */
async function clearStaleSocket(socketPath: string): Promise<void> {
  if (!existsSync(socketPath)) return;
  if (!lstatSync(socketPath).isSocket())
    throw new AgentStartError(
      'SOCKET_IN_USE',
      `${socketPath} exists and is not a socket: remove it or choose another socketPath`,
    );
  const alive = await new Promise<boolean>((resolve) => {
    const c = net.connect(socketPath);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (alive)
    throw new AgentStartError(
      'SOCKET_IN_USE',
      `another process serves ${socketPath}: is an agent already running on this node?`,
    );
  unlinkSync(socketPath);
}

/**
 * The socket's directory only root may enter (0700), also when it already existed with a wider mode. A shared
 * sticky directory such as /tmp is left alone (the socket itself is 0600 there).
 */
function privateDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { mode } = statSync(dir);
  if ((mode & 0o1000) === 0 && (mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
}

export async function serveSocket(options: SocketServerOptions): Promise<SocketServer> {
  privateDirectory(path.dirname(options.socketPath));
  await clearStaleSocket(options.socketPath);
  const requestTimeout = options.requestTimeoutMs ?? 5_000;
  const server = http.createServer(
    // Slow or silent clients are cut within about a second of their deadline (Node checks every connectionsCheckingInterval).
    {
      keepAliveTimeout: 5_000,
      headersTimeout: requestTimeout,
      requestTimeout,
      connectionsCheckingInterval: Math.min(1_000, requestTimeout),
    },
    (req, res) => {
      const started = performance.now();
      dispatch(req, options)
        .catch((err: unknown): Answer | undefined => {
          if (req.destroyed || res.destroyed) {
            options.onAborted?.(err);
            return undefined;
          }
          options.onError?.(err);
          return fail(failure({ status: 500, code: 999, msg: `internal error: ${(err as Error).message}` }));
        })
        .then(
          (answer) => {
            if (answer === undefined || res.destroyed) return;
            send(res, answer);
            options.observe?.(req.url ?? '/', answer.status, (performance.now() - started) / 1000);
          },
          () => res.destroy(),
        );
    },
  );
  server.on('clientError', answerClientError);
  const previous = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ path: options.socketPath, backlog: LISTEN_BACKLOG }, () => resolve());
    });
  } finally {
    process.umask(previous);
  }
  chmodSync(options.socketPath, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
