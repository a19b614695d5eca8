import { describe, expect, it } from '@jest/globals';
import { CONFIG_DEFAULTS, parseConfig } from './config.js';

const parse = (argv: string[], env: Record<string, string> = {}) =>
  parseConfig({ argv, env, defaultIdentity: 'host_1' });

describe('parseConfig', () => {
  it('gives the defaults, and the default identity, when nothing is set', () => {
    const result = parse([]);
    expect(result).toEqual({ ok: true, value: { ...CONFIG_DEFAULTS, identity: 'host_1' } });
  });

  it.each([
    { what: 'a flag', argv: ['--http-port', '9090'], env: {}, key: 'httpPort', value: 9090 },
    { what: 'a flag with =', argv: ['--http-port=9091'], env: {}, key: 'httpPort', value: 9091 },
    { what: 'the environment', argv: [], env: { MULTINIC_HTTP_PORT: '9092' }, key: 'httpPort', value: 9092 },
    {
      what: 'a flag over the environment',
      argv: ['--http-port', '9093'],
      env: { MULTINIC_HTTP_PORT: '1' },
      key: 'httpPort',
      value: 9093,
    },
    { what: 'a false boolean flag', argv: ['--leader-elect=false'], env: {}, key: 'leaderElect', value: false },
    {
      what: 'a boolean from the environment',
      argv: [],
      env: { MULTINIC_LEADER_ELECT: '0' },
      key: 'leaderElect',
      value: false,
    },
    {
      what: 'the pod name as identity',
      argv: [],
      env: { POD_NAME: 'multinic-controller-7d9f' },
      key: 'identity',
      value: 'multinic-controller-7d9f',
    },
    {
      what: 'the pod namespace as lease namespace',
      argv: [],
      env: { POD_NAMESPACE: 'kube-system' },
      key: 'leaseNamespace',
      value: 'kube-system',
    },
    {
      what: 'fractional seconds',
      argv: ['--retry-period-seconds', '0.5'],
      env: {},
      key: 'retryPeriodSeconds',
      value: 0.5,
    },
    {
      what: 'the log level',
      argv: ['--log-level', 'debug'],
      env: { MULTINIC_LOG_LEVEL: 'warn' },
      key: 'logLevel',
      value: 'debug',
    },
  ])('reads $what', ({ argv, env, key, value }) => {
    const result = parse(argv, env);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.value[key as keyof typeof result.value]).toEqual(value);
  });

  it.each([
    {
      argv: ['--http-port', 'abc'],
      env: {},
      problem: '--http-port (MULTINIC_HTTP_PORT): must be a number, not the string "abc"',
    },
    {
      argv: ['--http-port', '70000'],
      env: {},
      problem: '--http-port (MULTINIC_HTTP_PORT): must be a TCP port (0 picks a free one)',
    },
    {
      argv: [],
      env: { MULTINIC_LEADER_ELECT: 'maybe' },
      problem: '--leader-elect (MULTINIC_LEADER_ELECT): must be true or false, not the string "maybe"',
    },
    { argv: ['--workers', '0'], env: {}, problem: '--workers (MULTINIC_WORKERS): must be at least 1' },
    {
      argv: ['--log-level', 'loud'],
      env: {},
      problem: '--log-level (MULTINIC_LOG_LEVEL): must be one of fatal, error, warn, info, debug, trace, silent',
    },
    {
      argv: ['--lease-duration-seconds', '5'],
      env: {},
      problem:
        '--lease-duration-seconds (MULTINIC_LEASE_DURATION_SECONDS): leader election needs leaseDurationSeconds > renewDeadlineSeconds > retryPeriodSeconds',
    },
  ])('names the setting and says what is wrong: $argv $env', ({ argv, env, problem }) => {
    const result = parse(argv, env);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([problem]);
  });

  it('rejects an unknown flag and lists the known ones', () => {
    const result = parse(['--leader-election']);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems[0]?.message).toMatch(/Unknown option '--leader-election'.*--leader-elect,/);
  });

  it('accepts inconsistent lease timings when leader election is off', () => {
    expect(parse(['--leader-elect=false', '--lease-duration-seconds', '1']).ok).toBe(true);
  });
});
