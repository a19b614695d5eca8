// Builds both images with scripts/build-image.sh (what `pnpm images` runs), unpacks each with umoci and runs the
// programs the chart relies on inside the unpacked root filesystem with chroot: the entrypoint, and for the agent
// `ip`, the reference CNI plugins, the multinic CNI executables and the install-cni init container's commands.
// Needs root (umoci unpack, chroot), umoci (scripts/ensure-tools) and the single executables (turbo builds them
// first: they are devDependencies of this package).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const root = path.resolve(import.meta.dirname, '../..');
const version = (
  JSON.parse(readFileSync(path.join(root, 'packages/node-agent/package.json'), 'utf8')) as { version: string }
).version;
const work = mkdtempSync(path.join(tmpdir(), 'multinic-images-test-'));

interface Unpacked {
  readonly rootfs: string;
  readonly config: ImageConfig;
}

interface ImageConfig {
  readonly Entrypoint?: string[];
  readonly User?: string;
  readonly Labels?: Record<string, string>;
  readonly Env?: string[];
}

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(command, args, {
    encoding: 'utf8',
    env: { PATH: '/usr/local/bin:/usr/bin:/usr/sbin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 240_000,
  });
}

function requireTools(): void {
  const missing = ['umoci', 'chroot', 'tar', 'unshare'].filter(
    (tool) => !existsSync(`/usr/bin/${tool}`) && !existsSync(`/usr/sbin/${tool}`),
  );
  if (missing.length > 0)
    throw new Error(`${missing.join(', ')} missing: run scripts/ensure-tools (or apt-get install -y umoci)`);
  if (process.getuid?.() !== 0) throw new Error('the images test needs root (umoci unpack and chroot): run it as root');
}

function blob(layout: string, digest: string): unknown {
  return JSON.parse(readFileSync(path.join(layout, 'blobs', ...digest.split(':')), 'utf8'));
}

function imageConfig(layout: string): ImageConfig {
  const idx = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const manifest = blob(layout, idx.manifests[0]?.digest ?? '') as { config: { digest: string } };
  return (blob(layout, manifest.config.digest) as { config: ImageConfig }).config;
}

function buildAndUnpack(component: 'controller' | 'agent'): Unpacked {
  const archive = path.join(work, `multinic-${component}.tar`);
  run('bash', [path.join(root, 'images/scripts/build-image.sh'), component, archive], {
    PATH: process.env['PATH'] ?? '',
  });
  const layout = path.join(work, `${component}-layout`);
  mkdirSync(layout);
  run('tar', ['-C', layout, '-xf', archive]);
  const bundle = path.join(work, `${component}-bundle`);
  run('umoci', ['unpack', '--image', `${layout}:${version}`, bundle]);
  return { rootfs: path.join(bundle, 'rootfs'), config: imageConfig(layout) };
}

const images: Partial<Record<'controller' | 'agent', Unpacked>> = {};

function image(component: 'controller' | 'agent'): Unpacked {
  const unpacked = images[component];
  if (unpacked === undefined) throw new Error(`the ${component} image was not built: see the error of beforeAll`);
  return unpacked;
}

beforeAll(() => {
  requireTools();
  images.controller = buildAndUnpack('controller');
  images.agent = buildAndUnpack('agent');
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe.each([
  { component: 'controller' as const, name: 'multinic-controller', user: '65532:65532' },
  { component: 'agent' as const, name: 'multinic-agent', user: '0:0' },
])('the $name image', ({ component, name, user }) => {
  it('runs its entrypoint in the unpacked root filesystem: --version prints the name and version', () => {
    const { rootfs, config } = image(component);
    expect(config.Entrypoint).toEqual([`/usr/local/bin/${name}`]);
    expect(run('chroot', [rootfs, ...(config.Entrypoint ?? []), '--version'])).toBe(`${name} ${version}\n`);
  });

  it('says who runs it and what it is', () => {
    const { config } = image(component);
    expect(config.User).toBe(user);
    expect(config.Labels).toMatchObject({
      'org.opencontainers.image.title': name,
      'org.opencontainers.image.version': version,
    });
  });
});

describe('the controller image', () => {
  it('is minimal: no shell to exec into', () => {
    expect(existsSync(path.join(image('controller').rootfs, 'usr/bin/sh'))).toBe(false);
  });
});

describe('the agent image', () => {
  it('runs ip from PATH and from /usr/sbin/ip', () => {
    const { rootfs } = image('agent');
    expect(run('chroot', [rootfs, 'ip', '-V'])).toMatch(/^ip utility, iproute2-/);
    expect(run('chroot', [rootfs, '/usr/sbin/ip', '-V'])).toMatch(/^ip utility, iproute2-/);
  });

  it('reads links and addresses as JSON over netlink (what discovery runs) in a new network namespace', () => {
    const script = 'ip link set lo up && ip -j -d addr show';
    const links = JSON.parse(run('unshare', ['--net', 'chroot', image('agent').rootfs, '/bin/sh', '-c', script])) as {
      ifname: string;
      addr_info: { local: string }[];
    }[];
    expect(links.map((l) => l.ifname)).toEqual(['lo']);
    expect(links[0]?.addr_info.map((a) => a.local)).toContain('127.0.0.1');
  });

  // The chart's default agent.installCni.referencePlugins, then the multinic executables install-cni copies.
  it.each([
    { plugin: '/usr/lib/cni/ipvlan' },
    { plugin: '/usr/lib/cni/macvlan' },
    { plugin: '/usr/lib/cni/host-device' },
    { plugin: '/usr/lib/cni/static' },
    { plugin: '/opt/multinic/cni/multi-nic' },
    { plugin: '/opt/multinic/cni/multi-nic-ipam' },
  ])('$plugin answers CNI_COMMAND=VERSION', ({ plugin }) => {
    const out = JSON.parse(run('chroot', [image('agent').rootfs, plugin], { CNI_COMMAND: 'VERSION' })) as {
      supportedVersions: string[];
    };
    expect(out.supportedVersions).toContain('1.0.0');
  });

  it('has what the install-cni init container runs: /bin/sh, cp, chmod and mv', () => {
    const script =
      'set -eu; cp /opt/multinic/cni/multi-nic /tmp/.x; chmod 0755 /tmp/.x; mv -f /tmp/.x /tmp/multi-nic; echo installed';
    expect(run('chroot', [image('agent').rootfs, '/bin/sh', '-c', script])).toBe('installed\n');
  });
});
