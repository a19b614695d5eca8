// The thin reader around discoverNics: runs `ip` and reads sysfs through the injected host.
import type { HostOps } from '../host.js';
import type { DiscoveryOptions, DiscoveryResult, IpLink, IpRoute } from './nics.js';
import { IpLinkListSchema, IpRouteListSchema, discoverNics } from './nics.js';

async function ipJson(host: HostOps, args: readonly string[]): Promise<unknown> {
  const res = await host.ip(args);
  if (res.exitCode !== 0) throw new Error(`ip ${args.join(' ')} failed (exit ${res.exitCode}): ${res.stderr.trim()}`);
  return JSON.parse(res.stdout === '' ? '[]' : res.stdout);
}

/** Discovery's answer plus what it read: every link with its addresses, the main table's routes per family. */
export interface HostReading extends DiscoveryResult {
  readonly links: readonly IpLink[];
  readonly routes: { readonly v4: readonly IpRoute[]; readonly v6: readonly IpRoute[] };
}

/**
 * Runs discovery on the host: links with their addresses, the main table's routes (default-route devices, and
 * each NIC's gateway: a next hop through it inside its network), sysfs.
 */
export async function readNics(host: HostOps, options: DiscoveryOptions): Promise<HostReading> {
  const [links, v4, v6] = await Promise.all([
    ipJson(host, ['-d', '-j', 'addr', 'show']),
    ipJson(host, ['-j', 'route', 'show', 'table', 'main']),
    ipJson(host, ['-6', '-j', 'route', 'show', 'table', 'main']),
  ]);
  const parsed = IpLinkListSchema.parse(links);
  const routes4 = IpRouteListSchema.parse(v4);
  const routes6 = IpRouteListSchema.parse(v6);
  const routes = [...routes4, ...routes6];
  const defaults = routes.flatMap((r) =>
    r.dst !== 'default' ? [] : r.dev !== undefined ? [r.dev] : (r.nexthops ?? []).flatMap((h) => h.dev ?? []),
  );
  const sysfs = await host.sysfs(parsed.map((l) => l.ifname));
  const result = discoverNics({ links: parsed, defaultRouteDevices: defaults, routes, sysfs, options });
  return { ...result, links: parsed, routes: { v4: routes4, v6: routes6 } };
}
