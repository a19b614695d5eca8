// `helm template` of the chart for the default values and three value sets: golden snapshots, exactly the RBAC
// the components need, the rendered configuration parsed by the components' own parsers, pod security, and the
// init container's install script run for real.
import { execFile } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig as parseControllerConfig } from '@multinic/controller';
import { parseConfig as parseAgentConfig } from '@multinic/node-agent';
import { parse as parseYaml } from 'yaml';
import {
  grantKey,
  neededGrants,
  parseManifests,
  renderChart,
  renderedGrants,
  type Condition,
  type Manifest,
} from '../src/index.js';
import {
  containerEnv,
  find,
  GOLDEN_DIR,
  NAMESPACE,
  podSpec,
  RELEASE,
  VALUE_SETS,
  type Container,
  type ValueSet,
} from './support.js';

interface Rendered {
  readonly text: string;
  readonly manifests: Manifest[];
  readonly values: Values;
}

interface Values {
  cni: { binDir: string; confDir: string };
  controller: { leaderElection: { enabled: boolean }; serviceAccount: { name: string } };
  agent: {
    socketPath: string;
    stateDir: string;
    metricsPort: number;
    extraCapabilities: string[];
    routes: { enabled: boolean; rtTablesDir: string };
    gc: { enabled: boolean };
    installCni: { enabled: boolean; overwriteReferencePlugins: boolean; referencePlugins: string[] };
    serviceAccount: { name: string };
  };
}

const rendered = new Map<string, Rendered>();

/** The chart's values.yaml merged with the set's file (maps merge, everything else replaces), as helm does. */
function merge(base: unknown, over: unknown): unknown {
  if (
    typeof base !== 'object' ||
    base === null ||
    Array.isArray(base) ||
    typeof over !== 'object' ||
    over === null ||
    Array.isArray(over)
  )
    return over;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? merge(out[k], v) : v;
  return out;
}

beforeAll(async () => {
  const chartValues: unknown = parseYaml(
    readFileSync(path.join(GOLDEN_DIR, '..', '..', '..', '..', 'charts', 'multinic', 'values.yaml'), 'utf8'),
  );
  await Promise.all(
    VALUE_SETS.map(async (set) => {
      const text = await renderChart({ release: RELEASE, namespace: NAMESPACE, valuesFiles: set.files });
      const values = set.files.reduce<unknown>(
        (acc, f) => merge(acc, parseYaml(readFileSync(f, 'utf8'))),
        chartValues,
      ) as Values;
      rendered.set(set.name, { text, manifests: parseManifests(text), values });
    }),
  );
}, 60_000);

function get(set: ValueSet): Rendered {
  const r = rendered.get(set.name);
  if (r === undefined) throw new Error(`value set ${set.name} was not rendered`);
  return r;
}

const controllerSa = (set: ValueSet, v: Values): string =>
  v.controller.serviceAccount.name || `${set.fullname}-controller`;
const agentSa = (set: ValueSet, v: Values): string => v.agent.serviceAccount.name || `${set.fullname}-agent`;

describe('golden snapshots (UPDATE_GOLDEN=1 rewrites them)', () => {
  it.each(VALUE_SETS)('$name values render exactly as their golden file', ({ name }) => {
    const file = path.join(GOLDEN_DIR, `${name}.yaml`);
    const text = get(VALUE_SETS.find((s) => s.name === name) as ValueSet).text;
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, text);
    expect(existsSync(file)).toBe(true);
    expect(text).toBe(readFileSync(file, 'utf8'));
  });
});

describe('least privilege: the rendered RBAC grants exactly what the components call', () => {
  const conditions = (v: Values): Partial<Record<Condition, boolean>> => ({
    'controller.leaderElection.enabled': v.controller.leaderElection.enabled,
    'agent.routes.enabled': v.agent.routes.enabled,
    'agent.gc.enabled': v.agent.gc.enabled,
  });

  it.each(VALUE_SETS)('$name: controller', (set) => {
    const { manifests, values } = get(set);
    const granted = renderedGrants(manifests, { name: controllerSa(set, values), namespace: NAMESPACE })
      .map(grantKey)
      .sort();
    const needed = neededGrants('controller', {
      namespace: NAMESPACE,
      leaseName: `${set.fullname}-controller`,
      enabled: conditions(values),
    })
      .map(grantKey)
      .sort();
    expect(granted).toEqual(needed);
  });

  it.each(VALUE_SETS)('$name: agent', (set) => {
    const { manifests, values } = get(set);
    const granted = renderedGrants(manifests, { name: agentSa(set, values), namespace: NAMESPACE })
      .map(grantKey)
      .sort();
    const needed = neededGrants('agent', {
      namespace: NAMESPACE,
      leaseName: `${set.fullname}-controller`,
      enabled: conditions(values),
    })
      .map(grantKey)
      .sort();
    expect(granted).toEqual(needed);
  });

  it('turning a feature off takes its grants away (minimal set: no leases, no pods, no CIDRs for the agent)', () => {
    const set = VALUE_SETS.find((s) => s.name === 'minimal') as ValueSet;
    const { manifests, values } = get(set);
    const agent = renderedGrants(manifests, { name: agentSa(set, values), namespace: NAMESPACE }).map(
      (g) => g.resource,
    );
    const controller = renderedGrants(manifests, { name: controllerSa(set, values), namespace: NAMESPACE }).map(
      (g) => g.resource,
    );
    expect(agent).not.toContain('pods');
    expect(agent).not.toContain('cidrs');
    expect(agent).not.toContain('hostinterfaces/status');
    expect(controller).not.toContain('leases');
  });
});

function container(workload: Manifest, name: string): Container {
  const spec = podSpec(workload);
  const found = [...spec.containers, ...(spec.initContainers ?? [])].find((c) => c.name === name);
  if (found === undefined) throw new Error(`${workload.kind} ${workload.metadata.name} has no container ${name}`);
  return found;
}

describe('the rendered configuration is what the components accept', () => {
  it.each(VALUE_SETS)(
    '$name: the controller parses its environment and finds its Lease, Events namespace and the agent socket',
    (set) => {
      const { manifests, values } = get(set);
      const deployment = find(manifests, 'Deployment', `${set.fullname}-controller`);
      const c = container(deployment, 'controller');
      const pod = `${set.fullname}-controller-5d8f9c-x2x4z`;
      const env = containerEnv(c, { 'metadata.name': pod, 'metadata.namespace': NAMESPACE });
      const parsed = parseControllerConfig({ argv: c.args ?? [], env, defaultIdentity: 'not-used' });
      if (!parsed.ok)
        throw new Error(`the controller rejects the chart's configuration: ${JSON.stringify(parsed.problems)}`);
      expect(parsed.value).toMatchObject({
        identity: pod,
        leaseNamespace: NAMESPACE,
        eventNamespace: 'default',
        agentSocket: values.agent.socketPath,
        leaderElect: values.controller.leaderElection.enabled,
      });
      expect(c.ports?.[0]?.containerPort).toBe(parsed.value.httpPort);
      if (values.controller.leaderElection.enabled) {
        const role = find(manifests, 'Role', `${set.fullname}-controller`);
        expect(role.metadata.namespace).toBe(parsed.value.leaseNamespace);
        const names = (role['rules'] as { resourceNames?: string[] }[]).flatMap((r) => r.resourceNames ?? []);
        expect(names).toEqual([parsed.value.leaseName]);
      }
    },
  );

  it.each(VALUE_SETS)(
    '$name: the agent parses its config file, flags and environment; its paths are mounted from the host',
    (set) => {
      const { manifests, values } = get(set);
      const ds = find(manifests, 'DaemonSet', `${set.fullname}-agent`);
      const c = container(ds, 'agent');
      const cm = find(manifests, 'ConfigMap', `${set.fullname}-agent`);
      const configMount = c.volumeMounts?.find((m) => m.name === 'config');
      const env = containerEnv(c, { 'spec.nodeName': 'worker-1', 'status.podIP': '10.0.0.7' });
      const argv = (c.args ?? []).map((a) => a.replace(/\$\((\w+)\)/g, (_, name: string) => env[name] ?? `$(${name})`));
      const readFile = (file: string): string => {
        expect(path.dirname(file)).toBe(configMount?.mountPath);
        return (cm['data'] as Record<string, string>)[path.basename(file)] ?? '';
      };
      const parsed = parseAgentConfig({ argv, env, readFile });
      if (parsed.ok !== true) throw new Error(`the agent rejects the chart's configuration: ${JSON.stringify(parsed)}`);
      const config = parsed.config;
      expect(config).toMatchObject({
        nodeName: 'worker-1',
        socketPath: values.agent.socketPath,
        stateDir: values.agent.stateDir,
        metrics: { host: '10.0.0.7', port: values.agent.metricsPort },
      });
      expect(config.routes.enabled).toBe(values.agent.routes.enabled);
      expect(config.gc.enabled).toBe(values.agent.gc.enabled);
      expect(c.ports?.find((p) => p.name === 'metrics')?.containerPort).toBe(config.metrics.port);
      const spec = podSpec(ds);
      const hostPathOf = (mountPath: string): string | undefined => {
        const mount = c.volumeMounts?.find((m) => m.mountPath === mountPath);
        return spec.volumes?.find((v) => v.name === mount?.name)?.hostPath?.path;
      };
      expect(hostPathOf(path.dirname(config.socketPath))).toBe(path.dirname(values.agent.socketPath));
      expect(hostPathOf(config.stateDir)).toBe(values.agent.stateDir);
      expect(hostPathOf('/sys')).toBe('/sys');
      if (config.routes.enabled && config.routes.rtTablesDir !== '')
        expect(hostPathOf(config.routes.rtTablesDir)).toBe(config.routes.rtTablesDir);
      else expect(spec.volumes?.some((v) => v.name === 'iproute2')).toBe(false);
    },
  );
});

describe('pod security', () => {
  it.each(VALUE_SETS)(
    '$name: the controller runs as non-root with a read-only root filesystem, no capabilities and seccomp RuntimeDefault',
    (set) => {
      const { manifests } = get(set);
      const deployment = find(manifests, 'Deployment', `${set.fullname}-controller`);
      const spec = podSpec(deployment);
      expect(spec.hostNetwork).toBeUndefined();
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(container(deployment, 'controller').securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
    },
  );

  it.each(VALUE_SETS)(
    '$name: the agent has the host network, NET_ADMIN (plus configured extras) and nothing more, read-only /sys and CNI config',
    (set) => {
      const { manifests, values } = get(set);
      const ds = find(manifests, 'DaemonSet', `${set.fullname}-agent`);
      const spec = podSpec(ds);
      const agent = container(ds, 'agent');
      expect(spec.hostNetwork).toBe(true);
      expect(spec.securityContext).toMatchObject({ seccompProfile: { type: 'RuntimeDefault' } });
      expect(agent.securityContext).toEqual({
        runAsUser: 0,
        runAsNonRoot: false,
        privileged: false,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'], add: ['NET_ADMIN', ...values.agent.extraCapabilities] },
      });
      const mounts = new Map((agent.volumeMounts ?? []).map((m) => [m.mountPath, m]));
      expect(mounts.get('/sys')?.readOnly).toBe(true);
      expect(mounts.get('/host/cni/net.d')?.readOnly).toBe(true);
      expect(spec.volumes?.find((v) => v.name === 'cni-conf')?.hostPath?.path).toBe(values.cni.confDir);
      const install = spec.initContainers?.find((c) => c.name === 'install-cni');
      if (values.agent.installCni.enabled) {
        expect(install?.securityContext).toMatchObject({
          capabilities: { drop: ['ALL'] },
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
        });
        expect(install?.volumeMounts).toEqual([{ name: 'cni-bin', mountPath: '/host/cni/bin' }]);
        expect(spec.volumes?.find((v) => v.name === 'cni-bin')?.hostPath?.path).toBe(values.cni.binDir);
      } else {
        expect(install).toBeUndefined();
        expect(spec.volumes?.some((v) => v.name === 'cni-bin')).toBe(false);
      }
    },
  );

  it('by default the agent tolerates every taint, so every node gets one', () => {
    const ds = find(get(VALUE_SETS[0] as ValueSet).manifests, 'DaemonSet', 'multinic-agent');
    expect(podSpec(ds).tolerations).toEqual([{ operator: 'Exists' }]);
  });
});

// ------------------------------------------------------------------------------------------------ install-cni

function installScript(set: ValueSet): string {
  const ds = find(get(set).manifests, 'DaemonSet', `${set.fullname}-agent`);
  const command = container(ds, 'install-cni').command ?? [];
  expect(command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
  return command[2] ?? '';
}

function runScript(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', script], { env: { PATH: '/usr/bin:/bin', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

describe('the install-cni init container script, run with sh', () => {
  let dir: string;
  type Dirs = { dest: string; own: string; reference: string };
  const envOf = (d: Dirs): Record<string, string> => ({
    CNI_BIN_DIR: d.dest,
    MULTINIC_CNI_DIR: d.own,
    REFERENCE_CNI_DIR: d.reference,
  });
  const executable = (file: string, text: string): void => {
    writeFileSync(file, text);
    chmodSync(file, 0o755);
  };

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mn-install-cni-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function layout(name: string): Dirs {
    const d = {
      dest: path.join(dir, name, 'host-bin'),
      own: path.join(dir, name, 'own'),
      reference: path.join(dir, name, 'reference'),
    };
    for (const p of Object.values(d)) mkdirSync(p, { recursive: true });
    executable(path.join(d.own, 'multi-nic'), '#!/bin/sh\necho multi-nic\n');
    executable(path.join(d.own, 'multi-nic-ipam'), '#!/bin/sh\necho multi-nic-ipam\n');
    for (const p of ['ipvlan', 'macvlan', 'host-device', 'static'])
      executable(path.join(d.reference, p), `image ${p}\n`);
    return d;
  }

  it('installs multi-nic and multi-nic-ipam (mode 0755) and only the reference plugins the node lacks; leaves no temporary file', async () => {
    const d = layout('default');
    writeFileSync(path.join(d.dest, 'macvlan'), 'node macvlan\n');
    writeFileSync(path.join(d.dest, 'multi-nic'), 'old version\n');
    const out = await runScript(installScript(VALUE_SETS[0] as ValueSet), envOf(d));
    expect(out).toMatchObject({ code: 0, stderr: '' });
    expect(readdirSync(d.dest).sort()).toEqual([
      'host-device',
      'ipvlan',
      'macvlan',
      'multi-nic',
      'multi-nic-ipam',
      'static',
    ]);
    expect(readFileSync(path.join(d.dest, 'multi-nic'), 'utf8')).toBe('#!/bin/sh\necho multi-nic\n');
    expect(statSync(path.join(d.dest, 'multi-nic-ipam')).mode & 0o777).toBe(0o755);
    expect(readFileSync(path.join(d.dest, 'macvlan'), 'utf8')).toBe('node macvlan\n');
    expect(readFileSync(path.join(d.dest, 'ipvlan'), 'utf8')).toBe('image ipvlan\n');
    expect(out.stdout).toContain("install-cni: kept the node's own macvlan");
  });

  it("with overwriteReferencePlugins (openshift set) replaces the node's plugins and installs only the listed ones", async () => {
    const d = layout('overwrite');
    writeFileSync(path.join(d.dest, 'macvlan'), 'node macvlan\n');
    const out = await runScript(installScript(VALUE_SETS.find((s) => s.name === 'openshift') as ValueSet), envOf(d));
    expect(out.code).toBe(0);
    expect(readdirSync(d.dest).sort()).toEqual(['ipvlan', 'macvlan', 'multi-nic', 'multi-nic-ipam']);
    expect(readFileSync(path.join(d.dest, 'macvlan'), 'utf8')).toBe('image macvlan\n');
    expect(out.stdout).toContain('installed multi-nic into /var/lib/cni/bin');
  });

  it.each([
    {
      case: 'no CNI executables in the image',
      breakIt: (d: Dirs) => rmSync(d.own, { recursive: true }),
      message: 'install-cni: no CNI executables in',
    },
    {
      case: 'a listed reference plugin missing from the image',
      breakIt: (d: Dirs) => rmSync(path.join(d.reference, 'static')),
      message: 'install-cni: reference plugin static is not in the agent image',
    },
  ])('fails loudly when there are $case', async ({ case: name, breakIt, message }) => {
    const d = layout(name.replace(/\W+/g, '-'));
    breakIt(d);
    const out = await runScript(installScript(VALUE_SETS[0] as ValueSet), envOf(d));
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(message);
  });
});
