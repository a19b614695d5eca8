// The agent's configuration: one zod schema with every default in one place, parsed once at start from an optional
// JSON file (`--config`, or MULTINIC_AGENT_CONFIG), then environment (NODE_NAME, KUBECONFIG), then flags.
import { parseArgs } from 'node:util';
import { AGENT_SOCKET_PATH, dnsSubdomainField, formatProblem, parseWith } from '@multinic/crd-types';
import { z } from 'zod';
import { DEFAULT_EXCLUDE_KINDS, DEFAULT_EXCLUDE_NAMES } from './discovery/nics.js';
import { DEFAULT_MIRROR_BATCH_MS } from './ipam/mirror.js';

const regexField = z.string().refine(
  (s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'must be a valid regular expression' },
);

const ms = (def: number, min = 0): z.ZodDefault<z.ZodNumber> => z.number().int().min(min).default(def);

export const AgentConfigSchema = z.strictObject({
  /** The Kubernetes node this agent runs on (its HostInterface and IPPools carry this name). */
  nodeName: dnsSubdomainField('the node name, usually from the downward API: spec.nodeName'),
  /** The CNI plugins' unix socket (mode 0600). */
  socketPath: z.string().min(1).default(AGENT_SOCKET_PATH),
  /** Where the allocation checkpoint lives (must survive agent restarts; a hostPath). */
  stateDir: z.string().min(1).default('/var/lib/multinic'),
  /** Kubeconfig file; absent: in-cluster service account. */
  kubeconfig: z.string().min(1).optional(),
  kubeTimeoutMs: ms(10_000, 100),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  metrics: z
    .strictObject({
      /** Metrics and /healthz only. */
      host: z.string().default('0.0.0.0'),
      /** 0 picks a free port (tests). */
      port: z.number().int().min(0).max(65535).default(9464),
    })
    .prefault({}),
  discovery: z
    .strictObject({
      enabled: z.boolean().default(true),
      pollMs: ms(5_000, 100),
      excludeNames: z.array(regexField).default([...DEFAULT_EXCLUDE_NAMES]),
      excludeKinds: z.array(z.string()).default([...DEFAULT_EXCLUDE_KINDS]),
      includeDefaultRoute: z.boolean().default(false),
      includeDown: z.boolean().default(false),
      includeUnaddressed: z.boolean().default(false),
      /**
       * A NIC lent to a pod (host-device) that its last holder released and that is not back as it was (up, its
       * addresses) within this time is no longer reported as lent; until then its plan and IPPool stay.
       */
      returnWaitMs: ms(300_000),
    })
    .prefault({}),
  routes: z
    .strictObject({
      enabled: z.boolean().default(true),
      tableBase: z
        .number()
        .int()
        .min(1)
        .max(2 ** 31)
        .default(1000),
      rulePriority: z.number().int().min(1).max(32765).default(1000),
      resyncMs: ms(30_000, 100),
      /** iproute2 config dir (rt_tables, rt_tables.d); "" to neither read nor write table names. */
      rtTablesDir: z.string().default('/etc/iproute2'),
    })
    .prefault({}),
  gc: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** An allocation younger than this is never freed by pod GC (the pod may not be in the informer yet). */
      graceMs: ms(120_000),
      intervalMs: ms(30_000, 10),
    })
    .prefault({}),
  mirror: z
    .strictObject({
      batchMs: ms(DEFAULT_MIRROR_BATCH_MS),
      retryMs: ms(200, 1),
    })
    .prefault({}),
  shutdownTimeoutMs: ms(5_000),
});
export type AgentConfig = z.output<typeof AgentConfigSchema>;
export type AgentConfigInput = z.input<typeof AgentConfigSchema>;

export type ConfigResult =
  { readonly ok: true; readonly config: AgentConfig } | { readonly ok: false; readonly problems: readonly string[] };

export interface ConfigSources {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: (path: string) => string;
}

const FLAGS = {
  config: { type: 'string' },
  'node-name': { type: 'string' },
  socket: { type: 'string' },
  'state-dir': { type: 'string' },
  kubeconfig: { type: 'string' },
  'metrics-host': { type: 'string' },
  'metrics-port': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean' },
} as const;

export const USAGE = `multinic-agent [--config FILE.json] [--node-name NAME] [--socket PATH] [--state-dir DIR]
               [--kubeconfig FILE] [--metrics-host HOST] [--metrics-port PORT] [--log-level LEVEL]
Environment: NODE_NAME, KUBECONFIG, MULTINIC_AGENT_CONFIG (a config file). Flags win over the file and environment.`;

function set(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) target[key] = value;
}

/** Builds the configuration from file, environment and flags; problems name the field and the source. */
export function parseConfig(sources: ConfigSources): ConfigResult | { readonly ok: 'help' } {
  let flags: ReturnType<typeof parseArgs<{ options: typeof FLAGS; args: string[]; strict: true }>>['values'];
  try {
    flags = parseArgs({ args: [...sources.argv], options: FLAGS, strict: true }).values;
  } catch (err) {
    return { ok: false, problems: [`${(err as Error).message}\n${USAGE}`] };
  }
  if (flags.help === true) return { ok: 'help' };
  const file = flags.config ?? sources.env['MULTINIC_AGENT_CONFIG'];
  let raw: Record<string, unknown> = {};
  if (file !== undefined) {
    try {
      raw = JSON.parse(sources.readFile(file)) as Record<string, unknown>;
    } catch (err) {
      return { ok: false, problems: [`config file ${file}: ${(err as Error).message}`] };
    }
  }
  set(raw, 'nodeName', flags['node-name'] ?? sources.env['NODE_NAME'] ?? raw['nodeName']);
  set(raw, 'kubeconfig', flags.kubeconfig ?? raw['kubeconfig'] ?? sources.env['KUBECONFIG']);
  set(raw, 'socketPath', flags.socket);
  set(raw, 'stateDir', flags['state-dir']);
  set(raw, 'logLevel', flags['log-level']);
  if (flags['metrics-host'] !== undefined || flags['metrics-port'] !== undefined) {
    const metrics = { ...(raw['metrics'] as Record<string, unknown> | undefined) };
    set(metrics, 'host', flags['metrics-host']);
    set(metrics, 'port', flags['metrics-port'] === undefined ? undefined : Number(flags['metrics-port']));
    raw['metrics'] = metrics;
  }
  const parsed = parseWith(AgentConfigSchema, raw);
  if (!parsed.ok) return { ok: false, problems: parsed.problems.map(formatProblem) };
  return { ok: true, config: parsed.value };
}
