// The thin reader around discoverNics: runs `ip` and reads sysfs through the injected host.
import { z } from 'zod';
import type { HostOps } from '../host.js';
import type { DiscoveryOptions, DiscoveryResult } from './nics.js';
import { IpLinkListSchema, discoverNics } from './nics.js';

const RouteListSchema = z.array(z.looseObject({ dev: z.string().optional() }));

async function ipJson(host: HostOps, args: readonly string[]): Promise<unknown> {
  const res = await host.ip(args);
  if (res.exitCode !== 0) throw new Error(`ip ${args.join(' ')} failed (exit ${res.exitCode}): ${res.stderr.trim()}`);
  return JSON.parse(res.stdout === '' ? '[]' : res.stdout);
}

/** Runs discovery on the host: links with their addresses, default-route devices, sysfs. */
export async function readNics(host: HostOps, options: DiscoveryOptions): Promise<DiscoveryResult> {
  const [links, v4, v6] = await Promise.all([
    ipJson(host, ['-d', '-j', 'addr', 'show']),
    ipJson(host, ['-j', 'route', 'show', 'default']),
    ipJson(host, ['-6', '-j', 'route', 'show', 'default']),
  ]);
  const parsed = IpLinkListSchema.parse(links);
  const defaults = [...RouteListSchema.parse(v4), ...RouteListSchema.parse(v6)].flatMap((r) =>
    r.dev === undefined ? [] : [r.dev],
  );
  const sysfs = await host.sysfs(parsed.map((l) => l.ifname));
  return discoverNics({ links: parsed, defaultRouteDevices: defaults, sysfs, options });
}
