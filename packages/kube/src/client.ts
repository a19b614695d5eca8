// A small JSON client for the Kubernetes API over keep-alive connections. Requests are plain HTTP, so server-side
// apply, status subresources and preconditions are spelled exactly as the API documents them. Credentials and TLS
// come from client-node's KubeConfig and are resolved for every request (see credentials.ts): a rotated token
// or certificate is used from the next request on.
import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { TokenFile, tokenFileOf } from './credentials.js';
import { codeOfStatus, KubeError } from './errors.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The content type of a server-side apply patch. */
export const APPLY_PATCH = 'application/apply-patch+yaml';

export interface KubeRequest {
  readonly method: HttpMethod;
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
  /** Default application/json; `APPLY_PATCH` for server-side apply. */
  readonly contentType?: string;
}

export interface KubeClientOptions {
  /** Connections to the API server for requests (default 32); watches have their own pool. */
  readonly maxSockets?: number;
  /** Per-request timeout (default 30 s). */
  readonly timeoutMs?: number;
}

/** One decoded line of a watch stream. */
export interface WatchEvent<T> {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: T;
}

export interface WatchRequest<T> {
  readonly path: string;
  readonly query: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly onEvent: (event: WatchEvent<T>) => void;
  /** Aborting ends the watch; the promise then resolves. */
  readonly signal: AbortSignal;
  /** The connection is given up when nothing arrives for this long (ms). */
  readonly idleMs: number;
}

type Tls = Pick<https.RequestOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'>;

interface Resolved {
  readonly headers: http.OutgoingHttpHeaders;
  readonly agents: { readonly requests: http.Agent; readonly watches: http.Agent };
}

const TLS_KEYS = ['ca', 'cert', 'key', 'rejectUnauthorized', 'servername'] as const;

function sameValue(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  return a === b;
}

function statusDetails(text: string): { message: string; reason: string | undefined } {
  try {
    const status = JSON.parse(text) as { message?: unknown; reason?: unknown };
    return {
      message: typeof status.message === 'string' ? status.message : text.slice(0, 500),
      reason: typeof status.reason === 'string' ? status.reason : undefined,
    };
  } catch {
    return { message: text.slice(0, 500), reason: undefined };
  }
}

/** The error of a non-2xx answer; a 401 says what to check. */
function answerError(what: string, status: number, text: string): KubeError {
  const { message, reason } = statusDetails(text);
  const hint =
    status === 401
      ? ' (the credentials were refused: check the token or certificate, and that it was not revoked)'
      : '';
  return new KubeError(codeOfStatus(status, reason), `${what}: HTTP ${status}: ${message}${hint}`, {
    status,
    ...(reason === undefined ? {} : { reason }),
  });
}

export class KubeClient {
  readonly #kc: KubeConfig;
  readonly #server: URL;
  readonly #timeoutMs: number;
  readonly #maxSockets: number;
  readonly #tokenFile: TokenFile | undefined;
  #tls: Tls | undefined;
  #agents: Resolved['agents'] | undefined;
  readonly #retired: http.Agent[] = [];
  #requests = 0;

  /** Throws CONFIG when the kubeconfig names no cluster. */
  constructor(kc: KubeConfig, options: KubeClientOptions = {}) {
    const cluster = kc.getCurrentCluster();
    if (cluster === null)
      throw new KubeError('CONFIG', 'the kubeconfig has no current cluster: set current-context or pass --kubeconfig');
    this.#kc = kc;
    this.#server = new URL(cluster.server);
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#maxSockets = options.maxSockets ?? 32;
    const tokenFile = tokenFileOf(kc);
    this.#tokenFile = tokenFile === undefined ? undefined : new TokenFile(tokenFile);
  }

  get kubeConfig(): KubeConfig {
    return this.#kc;
  }

  /** Requests sent so far (watches included). */
  get requests(): number {
    return this.#requests;
  }

  /** Sends the request; resolves with the decoded JSON answer ({} for an empty one), rejects with a KubeError. */
  async request<T>(req: KubeRequest): Promise<T> {
    const url = this.#url(req.path, req.query);
    const { headers, agents } = await this.#resolve(req.method, req.path);
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    if (body !== undefined)
      Object.assign(headers, {
        'content-type': req.contentType ?? 'application/json',
        'content-length': Buffer.byteLength(body),
      });
    this.#requests++;
    const what = `${req.method} ${req.path}`;
    const answer = await this.#send({ url, method: req.method, headers, body, agent: agents.requests, what });
    if (answer.status >= 200 && answer.status < 300) return (answer.text === '' ? {} : JSON.parse(answer.text)) as T;
    throw answerError(what, answer.status, answer.text);
  }

  /**
   * Watches a collection: calls onEvent for every event until the server ends the stream (resolves), the signal
   * aborts it (resolves), or it fails (rejects with a KubeError; GONE when the resourceVersion is too old).
   */
  async watch<T>(req: WatchRequest<T>): Promise<void> {
    const url = this.#url(req.path, { ...req.query, watch: true });
    const { headers, agents } = await this.#resolve('GET', req.path);
    this.#requests++;
    const what = `WATCH ${req.path}`;
    return new Promise<void>((resolve, reject) => {
      const fail = (cause: Error): void =>
        reject(
          cause instanceof KubeError ? cause : new KubeError('UNAVAILABLE', `${what}: ${cause.message}`, { cause }),
        );
      const r = this.#transport(url).request(
        url,
        { method: 'GET', headers, agent: agents.watches, signal: req.signal },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            collect(res, (text) => fail(answerError(what, status, text)), fail);
            return;
          }
          streamLines(res, {
            onLine: (line) => req.onEvent(JSON.parse(line) as WatchEvent<T>),
            onEnd: resolve,
            onError: fail,
          });
        },
      );
      r.setTimeout(req.idleMs, () => r.destroy(new Error(`nothing received for ${req.idleMs} ms`)));
      r.on('error', (err) => (req.signal.aborted ? resolve() : fail(err)));
      r.end();
    });
  }

  /** Closes the connections; later requests open new ones. */
  close(): void {
    for (const agent of this.#retired.splice(0)) agent.destroy();
    this.#agents?.requests.destroy();
    this.#agents?.watches.destroy();
    this.#agents = undefined;
    this.#tls = undefined;
  }

  #url(p: string, query: KubeRequest['query']): URL {
    const url = new URL(this.#server.toString().replace(/\/$/, '') + p);
    for (const [key, value] of Object.entries(query ?? {}))
      if (value !== undefined) url.searchParams.set(key, String(value));
    return url;
  }

  #transport(url: URL): typeof http | typeof https {
    return url.protocol === 'http:' ? http : https;
  }

  /** The headers and connection pools for one request, with the credentials as they are now. */
  async #resolve(method: string, p: string): Promise<Resolved> {
    const opts: https.RequestOptions = {};
    try {
      await this.#kc.applyToHTTPSOptions(opts);
      const headers: http.OutgoingHttpHeaders = {
        ...((opts.headers ?? {}) as http.OutgoingHttpHeaders),
        accept: 'application/json',
      };
      if (typeof opts.auth === 'string')
        headers['authorization'] = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
      if (this.#tokenFile !== undefined) {
        delete headers['Authorization'];
        headers['authorization'] = `Bearer ${await this.#tokenFile.read()}`;
      }
      return { headers, agents: this.#agentsFor(opts) };
    } catch (cause) {
      throw new KubeError('CONFIG', `${method} ${p}: cannot read the client credentials: ${(cause as Error).message}`, {
        cause,
      });
    }
  }

  /** The connection pools for this TLS material; new ones (and the old ones retired) when it changed. */
  #agentsFor(tls: Tls): Resolved['agents'] {
    if (
      this.#agents !== undefined &&
      this.#tls !== undefined &&
      TLS_KEYS.every((k) => sameValue(tls[k], this.#tls?.[k]))
    )
      return this.#agents;
    if (this.#agents !== undefined) this.#retired.push(this.#agents.requests, this.#agents.watches);
    const material: Tls = Object.fromEntries(TLS_KEYS.filter((k) => tls[k] !== undefined).map((k) => [k, tls[k]]));
    const make = (maxSockets: number): http.Agent =>
      this.#server.protocol === 'http:'
        ? new http.Agent({ keepAlive: true, maxSockets })
        : new https.Agent({ keepAlive: true, maxSockets, ...material });
    this.#tls = material;
    this.#agents = { requests: make(this.#maxSockets), watches: make(Infinity) };
    return this.#agents;
  }

  #send(o: {
    url: URL;
    method: HttpMethod;
    headers: http.OutgoingHttpHeaders;
    body: string | undefined;
    agent: http.Agent;
    what: string;
  }): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = this.#transport(o.url).request(
        o.url,
        { method: o.method, headers: o.headers, agent: o.agent },
        (res) => {
          collect(res, (text) => resolve({ status: res.statusCode ?? 0, text }), reject);
        },
      );
      req.setTimeout(this.#timeoutMs, () => req.destroy(new Error(`no answer within ${this.#timeoutMs} ms`)));
      req.on('error', (cause) => reject(new KubeError('UNAVAILABLE', `${o.what}: ${cause.message}`, { cause })));
      req.end(o.body);
    });
  }
}

function collect(res: http.IncomingMessage, onText: (text: string) => void, onError: (err: Error) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => onText(Buffer.concat(chunks).toString('utf8')));
  res.on('error', onError);
}

function streamLines(
  res: http.IncomingMessage,
  o: { onLine: (line: string) => void; onEnd: () => void; onError: (err: Error) => void },
): void {
  let rest = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    try {
      for (const line of lines) if (line.trim() !== '') o.onLine(line);
    } catch (err) {
      res.destroy(err as Error);
    }
  });
  res.on('end', () => o.onEnd());
  res.on('error', o.onError);
  res.on('close', () => {
    if (!res.complete) o.onError(new Error('the connection closed in the middle of the watch'));
  });
}
