// A small JSON client for the few calls the agent makes (get, list, replace status, server-side apply), on the
// credentials of a client-node KubeConfig. It exposes the HTTP status so callers can retry on 409.
import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export class KubeError extends Error {
  /** HTTP status, or 0 when the server could not be reached. */
  readonly status: number;
  constructor(status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubeError';
    this.status = status;
  }
}

export interface KubeRequest {
  readonly method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly contentType?: string;
}

export interface KubeClientOptions {
  readonly timeoutMs?: number;
}

export const APPLY_PATCH = 'application/apply-patch+yaml';

export class KubeClient {
  readonly #kc: KubeConfig;
  readonly #server: URL;
  readonly #timeoutMs: number;
  #base: Promise<https.RequestOptions> | undefined;
  readonly #agent: http.Agent;

  constructor(kc: KubeConfig, options: KubeClientOptions = {}) {
    const cluster = kc.getCurrentCluster();
    if (cluster === null) throw new KubeError(0, 'kubeconfig has no current cluster');
    this.#kc = kc;
    this.#server = new URL(cluster.server);
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#agent = this.#server.protocol === 'https:' ? new https.Agent({ keepAlive: true, maxSockets: 8 }) : new http.Agent({ keepAlive: true, maxSockets: 8 });
  }

  get kubeConfig(): KubeConfig {
    return this.#kc;
  }

  async #options(): Promise<https.RequestOptions> {
    this.#base ??= (async () => {
      const opts: https.RequestOptions = {};
      await this.#kc.applyToHTTPSOptions(opts);
      return opts;
    })();
    return this.#base;
  }

  async request<T>(req: KubeRequest): Promise<T> {
    const base = await this.#options();
    const url = new URL(this.#server.toString().replace(/\/$/, '') + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    const headers: Record<string, string> = { ...(base.headers as Record<string, string> | undefined), accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = req.contentType ?? 'application/json';
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise<T>((resolve, reject) => {
      const r = mod.request(url, { ...base, headers, method: req.method, agent: this.#agent, timeout: this.#timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(new KubeError(0, `${req.method} ${req.path}: ${err.message}`, { cause: err })));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            resolve((text === '' ? undefined : JSON.parse(text)) as T);
            return;
          }
          reject(new KubeError(status, `${req.method} ${req.path}: HTTP ${status}: ${statusMessage(text)}`));
        });
      });
      r.on('timeout', () => r.destroy(new Error(`timed out after ${this.#timeoutMs} ms`)));
      r.on('error', (err) => reject(new KubeError(0, `${req.method} ${req.path}: ${err.message}`, { cause: err })));
      r.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

function statusMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON
  }
  return text.slice(0, 500);
}

/** True for errors worth retrying later (server unreachable, overloaded, or timing out). */
export function isTransient(err: unknown): boolean {
  return err instanceof KubeError && (err.status === 0 || err.status === 429 || err.status >= 500);
}
