// One HTTP/1.1 POST over a unix socket, for a process that lives for one CNI call. node:http costs 10–20 ms on the
// first request of a fresh process (loading the module, its agent machinery, and `net.isIP` compiling the IPv6
// pattern for a server name a unix socket never uses); this needs only node:net. It sends `Connection: close`,
// reads the status line, the headers and a Content-Length or chunked body, and resolves as soon as the body is
// complete. Anything else is an error: a connection that closes before the whole answer (ConnectionClosedError,
// transient) or an answer that is not HTTP as read here (MalformedAnswerError: no status line, more than `maxBytes`).
import { connect } from 'node:net';

export interface UnixPost {
  readonly socketPath: string;
  readonly path: string;
  /** The JSON request body. */
  readonly body: string;
  readonly timeoutMs: number;
  /** Give up on an answer larger than this (headers and body). */
  readonly maxBytes: number;
}

export interface UnixAnswer {
  readonly status: number;
  readonly body: string;
}

/** The answer was not HTTP as this client reads it (the connection itself worked). */
export class MalformedAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedAnswerError';
  }
}

/**
 * The connection closed before the whole answer arrived: the agent died or restarted in the middle of the request
 * (kill -9, OOM, a rolling update). Transient: the same request may well succeed once the agent is back.
 */
export class ConnectionClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionClosedError';
  }
}

/** No complete answer within `timeoutMs`. */
export class AnswerTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs / 1000} s`);
    this.name = 'AnswerTimeoutError';
  }
}

const HEADER_END = Buffer.from('\r\n\r\n');

interface Head {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  /** Offset of the body in the received bytes. */
  readonly bodyStart: number;
}

function parseHead(data: Buffer): Head | undefined {
  const end = data.indexOf(HEADER_END);
  if (end < 0) return undefined;
  const [statusLine = '', ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(statusLine);
  if (m === null)
    throw new MalformedAnswerError(`not an HTTP/1.1 status line: ${JSON.stringify(statusLine.slice(0, 80))}`);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(m[1]), headers, bodyStart: end + HEADER_END.length };
}

/** The decoded chunked body, or undefined while the last (zero-size) chunk has not arrived. */
export function decodeChunked(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const sizeText = data.subarray(at, lineEnd).toString('latin1').split(';')[0]?.trim() ?? '';
    if (!/^[0-9a-fA-F]+$/.test(sizeText))
      throw new MalformedAnswerError(`bad chunk size ${JSON.stringify(sizeText.slice(0, 20))}`);
    const size = Number.parseInt(sizeText, 16);
    if (size === 0) return Buffer.concat(parts);
    const start = lineEnd + 2;
    if (data.length < start + size + 2) return undefined;
    parts.push(data.subarray(start, start + size));
    at = start + size + 2;
  }
}

/** The complete body in `data` (the bytes after the head), or undefined while more is expected. */
function bodyOf(head: Head, data: Buffer, ended: boolean): Buffer | undefined {
  const rest = data.subarray(head.bodyStart);
  if (head.headers.get('transfer-encoding')?.toLowerCase().includes('chunked') === true) {
    const body = decodeChunked(rest);
    if (body === undefined && ended) throw new ConnectionClosedError('the connection closed inside a chunked body');
    return body;
  }
  const announced = head.headers.get('content-length');
  if (announced === undefined) return ended ? rest : undefined;
  const length = Number(announced);
  if (!Number.isSafeInteger(length) || length < 0)
    throw new MalformedAnswerError(`bad Content-Length ${JSON.stringify(announced)}`);
  if (rest.length >= length) return rest.subarray(0, length);
  if (ended) throw new ConnectionClosedError(`the body ended after ${rest.length} of ${length} bytes`);
  return undefined;
}

/** POSTs `body` as JSON to `path` on the unix socket and resolves with the status and the body text. */
export function postUnix(request: UnixPost): Promise<UnixAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(request.socketPath);
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: Error | undefined, answer?: UnixAnswer): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (err !== undefined) reject(err);
      else if (answer !== undefined) resolve(answer);
    };
    const examine = (ended: boolean): void => {
      try {
        const data = Buffer.concat(chunks);
        const head = parseHead(data);
        if (head === undefined) {
          if (ended)
            throw new ConnectionClosedError(
              size === 0 ? 'the connection closed without an answer' : 'the connection closed inside the headers',
            );
          return;
        }
        const body = bodyOf(head, data, ended);
        if (body !== undefined) finish(undefined, { status: head.status, body: body.toString('utf8') });
      } catch (err) {
        finish(err as Error);
      }
    };
    socket.setTimeout(request.timeoutMs, () => finish(new AnswerTimeoutError(request.timeoutMs)));
    socket.on('error', (err) => finish(err));
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > request.maxBytes)
        return finish(new MalformedAnswerError(`the answer exceeds ${request.maxBytes} bytes`));
      chunks.push(chunk);
      examine(false);
    });
    socket.on('end', () => examine(true));
    socket.on('close', () => finish(new ConnectionClosedError('the connection closed without an answer')));
    const payload = Buffer.from(request.body, 'utf8');
    socket.write(
      `POST ${request.path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${payload.length}\r\nConnection: close\r\n\r\n`,
    );
    // No half-close: a server that does not allow half-open connections would close before answering.
    socket.write(payload);
  });
}
