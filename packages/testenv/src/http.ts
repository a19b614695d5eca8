import { request } from 'node:https';

/** A small HTTPS GET for readiness probes (before a client exists, and for components' /healthz). */
export interface ProbeOptions {
  /** PEM CA to trust; without it the certificate is not checked (loopback probes of self-signed servers). */
  readonly ca?: string;
  readonly token?: string;
  readonly timeoutMs?: number;
}

export interface ProbeResult {
  readonly status: number;
  readonly body: string;
}

/** GET `url`; resolves with the status and body, or rejects on a connection error or time-out. */
export function httpsGet(url: string, options: ProbeOptions = {}): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        ...(options.ca === undefined ? { rejectUnauthorized: false } : { ca: options.ca }),
        headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` },
        timeout: options.timeoutMs ?? 5_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timed out: GET ${url}`)));
    req.on('error', reject);
    req.end();
  });
}
