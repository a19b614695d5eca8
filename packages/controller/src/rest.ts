// A small JSON client for the Kubernetes API over one keep-alive connection pool. Credentials and TLS come from
// client-node's KubeConfig; requests are plain HTTP so that server-side apply, status subresources and
// preconditions are spelled exactly as the API documents them.
import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { ControllerError, codeOfStatus } from './errors.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RestRequest {
  readonly method: HttpMethod;
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
  /** Default application/json; `application/apply-patch+yaml` for server-side apply. */
  readonly contentType?: string;
}

export interface KubeRestOptions {
  /** Connections to the API server (default 32). */
  readonly maxSockets?: number;
  /** Per-request timeout (default 30 s). */
  readonly timeoutMs?: number;
}

interface Answer {
  readonly status: number;
  readonly text: string;
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

export class KubeRest {
  readonly #kc: KubeConfig;
  readonly #base: URL;
  readonly #agent: http.Agent;
  readonly #timeoutMs: number;
  #requests = 0;

  private constructor(kc: KubeConfig, base: URL, agent: http.Agent, timeoutMs: number) {
    this.#kc = kc;
    this.#base = base;
    this.#agent = agent;
    this.#timeoutMs = timeoutMs;
  }

  static async create(kc: KubeConfig, options: KubeRestOptions = {}): Promise<KubeRest> {
    const cluster = kc.getCurrentCluster();
    if (cluster === null) throw new ControllerError('CONFIG', 'the kubeconfig has no current cluster: set current-context or pass --kubeconfig');
    const base = new URL(cluster.server);
    const tls: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(tls);
    const maxSockets = options.maxSockets ?? 32;
    const agent =
      base.protocol === 'http:'
        ? new http.Agent({ keepAlive: true, maxSockets })
        : new https.Agent({
            keepAlive: true,
            maxSockets,
            ...(tls.ca === undefined ? {} : { ca: tls.ca }),
            ...(tls.cert === undefined ? {} : { cert: tls.cert }),
            ...(tls.key === undefined ? {} : { key: tls.key }),
            ...(tls.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
            ...(tls.servername === undefined ? {} : { servername: tls.servername }),
          });
    return new KubeRest(kc, base, agent, options.timeoutMs ?? 30_000);
  }

  /** Requests sent so far. */
  get requests(): number {
    return this.#requests;
  }

  /** Sends the request; resolves with the decoded JSON answer, rejects with a ControllerError. */
  async request<T>(req: RestRequest): Promise<T> {
    const url = new URL(req.path, this.#base);
    for (const [key, value] of Object.entries(req.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const auth: https.RequestOptions = {};
    await this.#kc.applyToHTTPSOptions(auth);
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    const headers: http.OutgoingHttpHeaders = {
      ...((auth.headers ?? {}) as http.OutgoingHttpHeaders),
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': req.contentType ?? 'application/json', 'content-length': Buffer.byteLength(body) }),
    };
    if (typeof auth.auth === 'string') headers['authorization'] = `Basic ${Buffer.from(auth.auth).toString('base64')}`;
    this.#requests++;
    const answer = await this.#send(url, { method: req.method, headers, body });
    if (answer.status >= 200 && answer.status < 300) return (answer.text === '' ? {} : JSON.parse(answer.text)) as T;
    const { message, reason } = statusDetails(answer.text);
    throw new ControllerError(codeOfStatus(answer.status, reason), `${req.method} ${req.path}: HTTP ${answer.status}: ${message}`, {
      status: answer.status,
    });
  }

  #send(url: URL, options: { method: HttpMethod; headers: http.OutgoingHttpHeaders; body: string | undefined }): Promise<Answer> {
    const transport = url.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { method: options.method, headers: options.headers, agent: this.#agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.setTimeout(this.#timeoutMs, () => req.destroy(new Error(`no answer within ${this.#timeoutMs} ms`)));
      req.on('error', (cause) =>
        reject(new ControllerError('UNAVAILABLE', `${options.method} ${url.pathname}: ${cause.message}`, { cause })),
      );
      req.end(options.body);
    });
  }

  /** Closes idle connections; later requests open new ones. */
  close(): void {
    this.#agent.destroy();
  }
}
