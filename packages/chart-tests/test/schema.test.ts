// values.schema.json and the chart's cross-key checks reject bad values with a message that names the key and says
// what is wrong; the value sets and the defaults pass. Also: a missing helm binary fails loudly.
import { describe, expect, it } from '@jest/globals';
import { ChartToolError, renderChart, renderRbac, toolBinary } from '../src/index.js';
import { VALUE_SETS } from './support.js';

const hex64 = 'ab'.repeat(32);

describe('values.schema.json and the template checks reject bad values', () => {
  it.each([
    {
      key: 'controller.replicas',
      values: { controller: { replicas: 0 } },
      message: "at '/controller/replicas': minimum: got 0, want 1",
    },
    {
      key: 'controller.replicas (type)',
      values: { controller: { replicas: 'two' } },
      message: "at '/controller/replicas': got string, want integer",
    },
    {
      key: 'logLevel',
      values: { logLevel: 'verbose' },
      message: "at '/logLevel': value must be one of 'fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'",
    },
    {
      key: 'agent.logLevel',
      values: { agent: { logLevel: 'loud' } },
      message: "at '/agent/logLevel': value must be one of '', 'fatal'",
    },
    {
      key: 'a misspelt key',
      values: { controller: { replica: 3 } },
      message: "at '/controller': additional properties 'replica' not allowed",
    },
    { key: 'an unknown top-level key', values: { agnet: {} }, message: "additional properties 'agnet' not allowed" },
    {
      key: 'controller.image.digest',
      values: { controller: { image: { digest: 'sha256:abc' } } },
      message: "at '/controller/image/digest': 'sha256:abc' does not match pattern",
    },
    {
      key: 'agent.image.repository with a tag',
      values: { agent: { image: { repository: 'ghcr.io/multinic/agent:v1' } } },
      message: "at '/agent/image/repository'",
    },
    {
      key: 'agent.image.pullPolicy',
      values: { agent: { image: { pullPolicy: 'Sometimes' } } },
      message: "at '/agent/image/pullPolicy': value must be one of 'Always', 'IfNotPresent', 'Never'",
    },
    {
      key: 'cni.binDir relative',
      values: { cni: { binDir: 'opt/cni/bin' } },
      message: "at '/cni/binDir': 'opt/cni/bin' does not match pattern '^/'",
    },
    {
      key: 'agent.socketPath in /',
      values: { agent: { socketPath: '/agent.sock' } },
      message: "at '/agent/socketPath': '/agent.sock' does not match pattern",
    },
    {
      key: 'agent.socketPath too long',
      values: { agent: { socketPath: `/run/${'x'.repeat(110)}.sock` } },
      message: "at '/agent/socketPath': maxLength: got 120, want 107",
    },
    {
      key: 'agent.metricsPort',
      values: { agent: { metricsPort: 70000 } },
      message: "at '/agent/metricsPort': maximum: got 70,000, want 65,535",
    },
    {
      key: 'agent.routes.rulePriority',
      values: { agent: { routes: { rulePriority: 32766 } } },
      message: "at '/agent/routes/rulePriority': maximum: got 32,766, want 32,765",
    },
    {
      key: 'agent.discovery.pollMs',
      values: { agent: { discovery: { pollMs: 10 } } },
      message: "at '/agent/discovery/pollMs': minimum: got 10, want 100",
    },
    {
      key: 'agent.tolerations operator',
      values: { agent: { tolerations: [{ operator: 'Any' }] } },
      message: "at '/agent/tolerations/0/operator': value must be one of 'Exists', 'Equal'",
    },
    {
      key: 'controller.resources quantity',
      values: { controller: { resources: { limits: { memory: '512 MB' } } } },
      message: "at '/controller/resources/limits/memory'",
    },
    {
      key: 'controller.podDisruptionBudget.minAvailable',
      values: { controller: { podDisruptionBudget: { minAvailable: '150%' } } },
      message: "at '/controller/podDisruptionBudget/minAvailable'",
    },
    {
      key: 'metrics.serviceMonitor.interval',
      values: { metrics: { serviceMonitor: { interval: '30 seconds' } } },
      message: "at '/metrics/serviceMonitor/interval': '30 seconds' does not match pattern",
    },
    {
      key: 'agent.installCni.referencePlugins',
      values: { agent: { installCni: { referencePlugins: ['../../bin/sh'] } } },
      message: "at '/agent/installCni/referencePlugins/0'",
    },
    {
      key: 'imagePullSecrets',
      values: { imagePullSecrets: ['regcred'] },
      message: "at '/imagePullSecrets/0': got string, want object",
    },
    {
      key: 'serviceAccount.name',
      values: { agent: { serviceAccount: { name: 'Agent_SA' } } },
      message: "at '/agent/serviceAccount/name'",
    },
    // Checks across keys, made in the templates.
    {
      key: 'replicas > 1 without leader election',
      values: { controller: { leaderElection: { enabled: false } } },
      message:
        'controller.replicas is 2 but controller.leaderElection.enabled is false: two writers would fight; enable leader election or set replicas to 1',
    },
    {
      key: 'lease timing',
      values: { controller: { leaderElection: { renewDeadlineSeconds: 10 } } },
      message:
        'controller.leaderElection needs leaseDurationSeconds > renewDeadlineSeconds > retryPeriodSeconds (got 10, 10, 2)',
    },
    {
      key: 'a PDB that blocks every drain',
      values: { controller: { replicas: 1, leaderElection: { enabled: false } } },
      message:
        'controller.podDisruptionBudget.minAvailable (1) must be less than controller.replicas (1), or no node could ever be drained',
    },
    {
      key: 'SYS_ADMIN for the agent',
      values: { agent: { extraCapabilities: ['NET_RAW', 'SYS_ADMIN'] } },
      message: 'agent.extraCapabilities must not contain SYS_ADMIN: the agent needs NET_ADMIN only',
    },
    {
      key: 'ServiceMonitor without Services',
      values: { metrics: { service: { enabled: false }, serviceMonitor: { enabled: true } } },
      message: 'metrics.serviceMonitor.enabled needs metrics.service.enabled',
    },
  ])('$key', async ({ values, message }) => {
    const error = await renderChart({ values }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(ChartToolError);
    expect((error as ChartToolError).code).toBe('HELM_FAILED');
    expect((error as ChartToolError).stderr).toContain(message);
  });

  it.each(VALUE_SETS)('accepts the $name value set', async ({ files }) => {
    await expect(renderChart({ valuesFiles: files })).resolves.toContain('kind: DaemonSet');
  });

  it('accepts a digest, a percentage PDB and an empty scrape timeout', async () => {
    const values = {
      controller: { image: { digest: `sha256:${hex64}` }, podDisruptionBudget: { minAvailable: '50%' } },
      metrics: { serviceMonitor: { scrapeTimeout: '' } },
    };
    await expect(renderChart({ values })).resolves.toContain(`ghcr.io/multinic/multinic-controller@sha256:${hex64}`);
  });
});

describe('tools', () => {
  it('a missing helm fails loudly and says to run scripts/ensure-tools', async () => {
    expect(() => toolBinary('helm', '/nonexistent/bin')).toThrow(
      'helm not found in /nonexistent/bin: run scripts/ensure-tools',
    );
    await expect(renderRbac({ binDir: '/nonexistent/bin' })).rejects.toMatchObject({ code: 'TOOLS_MISSING' });
  });
});
