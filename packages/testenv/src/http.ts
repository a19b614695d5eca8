import { request, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** A small HTTPS client for readiness probes and raw API calls (which keep every field of a manifest). */
export interface ProbeOptions {
  /** PEM CA to trust; without it the certificate is not checked (loopback probes of self-signed servers). */
  readonly ca?: string;
  readonly timeoutMs?: number;
}

export interface HttpResult {
  readonly status: number;
  readonly body: string;
}

function send(url: string, options: RequestOptions, body?: string): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timed out: ${options.method ?? 'GET'} ${url}`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** GET `url`; resolves with the status and body, or rejects on a connection error or time-out. */
export function httpsGet(url: string, options: ProbeOptions = {}): Promise<HttpResult> {
  return send(url, {
    method: 'GET',
    ...(options.ca === undefined ? { rejectUnauthorized: false } : { ca: options.ca }),
    timeout: options.timeoutMs ?? 5_000,
  });
}

/**
 * A raw JSON request to the API server of `kc`'s current context. Unlike client-node's typed clients it sends
 * the object exactly as given (the typed models drop keys they do not know, such as `x-kubernetes-validations`).
 */
export async function kubeRequest(
  kc: KubeConfig,
  req: { method: string; path: string; body?: unknown },
): Promise<HttpResult> {
  const server = kc.getCurrentCluster()?.server;
  if (server === undefined) throw new Error('testenv: the kubeconfig has no current cluster');
  const options: RequestOptions = {
    method: req.method,
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    timeout: 30_000,
  };
  await kc.applyToHTTPSOptions(options);
  return send(`${server}${req.path}`, options, req.body === undefined ? undefined : JSON.stringify(req.body));
}
