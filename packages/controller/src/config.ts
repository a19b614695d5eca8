// Configuration: parsed once in the entry point from flags and environment, validated with zod; every default
// lives in CONFIG_DEFAULTS. Flags win over environment variables, which win over defaults.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { AGENT_SOCKET_PATH, problemsFromIssues, type FieldProblem } from '@multinic/crd-types';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The one place where defaults live. */
export const CONFIG_DEFAULTS = {
  logLevel: 'info',
  httpAddress: '0.0.0.0',
  httpPort: 8080,
  leaderElect: true,
  leaseName: 'multinic-controller',
  leaseNamespace: 'multinic-system',
  leaseDurationSeconds: 10,
  renewDeadlineSeconds: 7,
  retryPeriodSeconds: 2,
  workers: 2,
  writeConcurrency: 16,
  hostGracePeriodSeconds: 600,
  backoffBaseMs: 100,
  backoffMaxMs: 120_000,
  eventNamespace: 'default',
  agentSocket: AGENT_SOCKET_PATH,
} as const;

const seconds = (what: string) =>
  z.number({ error: `must be a number of seconds (${what})` }).positive({ error: `must be more than 0 (${what})` });
const count = (what: string, max: number) =>
  z
    .number()
    .int({ error: `must be a whole number (${what})` })
    .min(1)
    .max(max);

export const ControllerConfigSchema = z
  .strictObject({
    kubeconfig: z.string().min(1).optional(),
    logLevel: z
      .enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` })
      .default(CONFIG_DEFAULTS.logLevel),
    httpAddress: z.string().min(1).default(CONFIG_DEFAULTS.httpAddress),
    httpPort: z
      .number()
      .int()
      .min(0)
      .max(65535, { error: 'must be a TCP port (0 picks a free one)' })
      .default(CONFIG_DEFAULTS.httpPort),
    leaderElect: z.boolean().default(CONFIG_DEFAULTS.leaderElect),
    leaseName: z.string().min(1).max(253).default(CONFIG_DEFAULTS.leaseName),
    leaseNamespace: z.string().min(1).max(63).default(CONFIG_DEFAULTS.leaseNamespace),
    identity: z.string().min(1, { error: 'must name this replica (the pod name)' }).max(253),
    leaseDurationSeconds: seconds('how long a lease is valid without renewal').default(
      CONFIG_DEFAULTS.leaseDurationSeconds,
    ),
    renewDeadlineSeconds: seconds('how long the leader keeps trying to renew before it steps down').default(
      CONFIG_DEFAULTS.renewDeadlineSeconds,
    ),
    retryPeriodSeconds: seconds('how often candidates try to acquire or renew').default(
      CONFIG_DEFAULTS.retryPeriodSeconds,
    ),
    workers: count('networks reconciled in parallel', 64).default(CONFIG_DEFAULTS.workers),
    writeConcurrency: count('API writes in flight per reconcile', 256).default(CONFIG_DEFAULTS.writeConcurrency),
    hostGracePeriodSeconds: z.number().min(0).default(CONFIG_DEFAULTS.hostGracePeriodSeconds),
    backoffBaseMs: z.number().positive().default(CONFIG_DEFAULTS.backoffBaseMs),
    backoffMaxMs: z.number().positive().default(CONFIG_DEFAULTS.backoffMaxMs),
    eventNamespace: z.string().min(1).max(63).default(CONFIG_DEFAULTS.eventNamespace),
    agentSocket: z.string().min(1).default(CONFIG_DEFAULTS.agentSocket),
  })
  .superRefine((c, ctx) => {
    if (
      c.leaderElect &&
      !(c.leaseDurationSeconds > c.renewDeadlineSeconds && c.renewDeadlineSeconds > c.retryPeriodSeconds)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['leaseDurationSeconds'],
        message: 'leader election needs leaseDurationSeconds > renewDeadlineSeconds > retryPeriodSeconds',
      });
    }
    if (c.backoffMaxMs < c.backoffBaseMs)
      ctx.addIssue({ code: 'custom', path: ['backoffMaxMs'], message: 'must be at least backoffBaseMs' });
  });
export type ControllerConfig = z.output<typeof ControllerConfigSchema>;
export type ControllerConfigInput = z.input<typeof ControllerConfigSchema>;

type Kind = 'string' | 'number' | 'boolean';

/** Every setting: its flag (kebab-case of the key), its environment variable and how to read it. */
const SETTINGS: Record<keyof ControllerConfig, { env: string; kind: Kind }> = {
  kubeconfig: { env: 'KUBECONFIG', kind: 'string' },
  logLevel: { env: 'MULTINIC_LOG_LEVEL', kind: 'string' },
  httpAddress: { env: 'MULTINIC_HTTP_ADDRESS', kind: 'string' },
  httpPort: { env: 'MULTINIC_HTTP_PORT', kind: 'number' },
  leaderElect: { env: 'MULTINIC_LEADER_ELECT', kind: 'boolean' },
  leaseName: { env: 'MULTINIC_LEASE_NAME', kind: 'string' },
  leaseNamespace: { env: 'POD_NAMESPACE', kind: 'string' },
  identity: { env: 'POD_NAME', kind: 'string' },
  leaseDurationSeconds: { env: 'MULTINIC_LEASE_DURATION_SECONDS', kind: 'number' },
  renewDeadlineSeconds: { env: 'MULTINIC_RENEW_DEADLINE_SECONDS', kind: 'number' },
  retryPeriodSeconds: { env: 'MULTINIC_RETRY_PERIOD_SECONDS', kind: 'number' },
  workers: { env: 'MULTINIC_WORKERS', kind: 'number' },
  writeConcurrency: { env: 'MULTINIC_WRITE_CONCURRENCY', kind: 'number' },
  hostGracePeriodSeconds: { env: 'MULTINIC_HOST_GRACE_PERIOD_SECONDS', kind: 'number' },
  backoffBaseMs: { env: 'MULTINIC_BACKOFF_BASE_MS', kind: 'number' },
  backoffMaxMs: { env: 'MULTINIC_BACKOFF_MAX_MS', kind: 'number' },
  eventNamespace: { env: 'MULTINIC_EVENT_NAMESPACE', kind: 'string' },
  agentSocket: { env: 'MULTINIC_AGENT_SOCKET', kind: 'string' },
};

const flagOf = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** `--leader-elect=false` and `MULTINIC_LEADER_ELECT=0` are booleans; anything unreadable is left for zod to name. */
function convert(text: string, kind: Kind): unknown {
  if (kind === 'string') return text;
  if (kind === 'boolean') {
    if (/^(true|1|yes)$/i.test(text)) return true;
    if (/^(false|0|no)$/i.test(text)) return false;
    return text;
  }
  const n = Number(text);
  return text.trim() === '' || Number.isNaN(n) ? text : n;
}

export interface ConfigSources {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Used for the default identity (`<hostname>_<pid>`) when neither --identity nor POD_NAME is set. */
  readonly defaultIdentity: string;
}

export type ConfigResult =
  | { readonly ok: true; readonly value: ControllerConfig }
  | { readonly ok: false; readonly problems: readonly FieldProblem[] };

type Flags =
  | { readonly ok: true; readonly values: Record<string, string | undefined> }
  | { readonly ok: false; readonly problem: FieldProblem };

function readFlags(argv: readonly string[]): Flags {
  const options = Object.fromEntries(Object.keys(SETTINGS).map((key) => [flagOf(key), { type: 'string' as const }]));
  try {
    const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
    return { ok: true, values: values as Record<string, string | undefined> };
  } catch (err) {
    return {
      ok: false,
      problem: {
        path: '',
        message: `${(err as Error).message}; the flags are --${Object.keys(SETTINGS).map(flagOf).join(', --')}`,
      },
    };
  }
}

/** Flags (`--http-port 9090` or `--http-port=9090`) over environment over defaults, validated. */
export function parseConfig(sources: ConfigSources): ConfigResult {
  const flags = readFlags(sources.argv);
  if (!flags.ok) return { ok: false, problems: [flags.problem] };
  const raw: Record<string, unknown> = { identity: sources.defaultIdentity };
  for (const [key, setting] of Object.entries(SETTINGS)) {
    const text = flags.values[flagOf(key)] ?? sources.env[setting.env];
    if (text !== undefined && text !== '') raw[key] = convert(text, setting.kind);
  }
  const parsed = ControllerConfigSchema.safeParse(raw, { reportInput: true });
  if (parsed.success) return { ok: true, value: parsed.data };
  const problems = problemsFromIssues(parsed.error.issues).map((p) => {
    const key = p.path.split(/[.[]/)[0] ?? '';
    const setting = SETTINGS[key as keyof ControllerConfig];
    return setting === undefined ? p : { path: `--${flagOf(key)} (${setting.env})`, message: p.message };
  });
  return { ok: false, problems };
}

/** A configuration for code that embeds the controller (tests, benchmarks): defaults plus `input`. */
export function makeConfig(input: Partial<ControllerConfigInput> & { identity: string }): ControllerConfig {
  return ControllerConfigSchema.parse(input);
}
