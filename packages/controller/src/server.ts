// /healthz (the process is alive and its loop turns), /readyz (caches synced), /metrics (Prometheus).
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface ProbeServerOptions {
  readonly address: string;
  readonly port: number;
  readonly registry: Registry;
  readonly ready: () => boolean;
  readonly healthy: () => boolean;
}

export interface ProbeServer {
  /** The port it listens on (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

function respond(res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function handle(options: ProbeServerOptions, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') return respond(res, 405, 'method not allowed\n');
  if (path === '/healthz' || path === '/livez')
    return options.healthy() ? respond(res, 200, 'ok\n') : respond(res, 503, 'unhealthy\n');
  if (path === '/readyz')
    return options.ready() ? respond(res, 200, 'ok\n') : respond(res, 503, 'caches not synced yet\n');
  if (path === '/metrics') return respond(res, 200, await options.registry.metrics(), options.registry.contentType);
  return respond(res, 404, 'not found: try /healthz, /readyz or /metrics\n');
}

export async function startProbeServer(options: ProbeServerOptions): Promise<ProbeServer> {
  const server = http.createServer((req, res) => {
    handle(options, req, res).catch((err: unknown) => respond(res, 500, `${String(err)}\n`));
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.address, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
