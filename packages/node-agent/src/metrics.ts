// Prometheus metrics (a registry per agent, so tests can run several) and the TCP server that serves only
// /metrics and /healthz.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class AgentMetrics {
  readonly registry = new Registry();
  readonly requests = new Histogram({
    name: 'multinic_agent_request_duration_seconds',
    help: 'Latency of the local API calls, by call and HTTP status.',
    labelNames: ['call', 'status'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly allocations = new Counter({
    name: 'multinic_agent_allocations_total',
    help: 'Addresses handed out.',
    labelNames: ['network'] as const,
    registers: [this.registry],
  });
  readonly releases = new Counter({
    name: 'multinic_agent_releases_total',
    help: 'Addresses released, by cause (cni = DEL, cni-gc = the CNI GC verb, pod-gc = the pod no longer exists, pool = the IPPool went away).',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });
  readonly gcFreed = new Counter({
    name: 'multinic_agent_gc_freed_total',
    help: 'Allocations freed by pod garbage collection.',
    registers: [this.registry],
  });
  readonly checkpointSeconds = new Histogram({
    name: 'multinic_agent_checkpoint_write_seconds',
    help: 'Time of one checkpoint commit: a log append + fdatasync, or a compaction (snapshot temp file, fsync, rename, fsync dir, new log).',
    buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 0.5],
    registers: [this.registry],
  });
  readonly mirrorWrites = new Counter({
    name: 'multinic_agent_ippool_status_writes_total',
    help: 'IPPool status mirror attempts by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly mirrorPending = new Gauge({
    name: 'multinic_agent_ippool_status_pending',
    help: 'IPPools whose status is behind the local state.',
    registers: [this.registry],
  });
  readonly allocated = new Gauge({
    name: 'multinic_agent_allocated_addresses',
    help: 'Addresses currently allocated, by IPPool.',
    labelNames: ['pool'] as const,
    registers: [this.registry],
  });
  readonly nics = new Gauge({
    name: 'multinic_agent_nics',
    help: 'NICs reported in the HostInterface.',
    registers: [this.registry],
  });
  readonly routeErrors = new Counter({
    name: 'multinic_agent_route_errors_total',
    help: 'Failed route programming runs, by network.',
    labelNames: ['network'] as const,
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }
}

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Serves /metrics and /healthz (200 while `healthy()`, else 503 with the reason). */
export async function serveMetrics(options: {
  host: string;
  port: number;
  metrics: AgentMetrics;
  healthy: () => string | undefined;
}): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    void (async () => {
      if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': options.metrics.registry.contentType });
        res.end(await options.metrics.registry.metrics());
      } else if (req.url === '/healthz') {
        const problem = options.healthy();
        res.writeHead(problem === undefined ? 200 : 503, { 'content-type': 'text/plain' });
        res.end(problem === undefined ? 'ok\n' : `${problem}\n`);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found: try /metrics or /healthz\n');
      }
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
