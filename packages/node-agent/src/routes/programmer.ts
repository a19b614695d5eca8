// Applies this node's part of the L3 plan with `ip -N -j` (read) and `ip -force -batch -` (write).
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { NetworkPlan } from '@multinic/cidr-core';
import type { HostRouteStatus } from '@multinic/crd-types';
import type { Logger } from 'pino';
import type { HostOps } from '../host.js';
import type { CurrentState, IpRoute, IpRule } from './plan.js';
import {
  IpRouteListSchema,
  IpRuleListSchema,
  assignTables,
  desiredRoutes,
  linesByFamily,
  planIncludesHost,
  removalBatch,
  routeBatch,
  tableName,
  tablesFromNames,
  tablesInUse,
} from './plan.js';

export interface RouteProgrammerOptions {
  readonly host: HostOps;
  readonly nodeName: string;
  /** Lowest table id handed out. */
  readonly tableBase: number;
  /** Priority of the `from <block> lookup <table>` rules. */
  readonly rulePriority: number;
  /** iproute2 config dir whose rt_tables(.d) name tables; ids there are avoided, ours are written to rt_tables.d/multinic.conf. Empty: neither. */
  readonly rtTablesDir: string;
  readonly log: Logger;
  readonly onError?: (network: string) => void;
}

export interface RouteSyncInput {
  /** Plans of the networks to program, by network name: one per family, the first family first (`familyPlans`). */
  readonly plans: ReadonlyMap<string, readonly NetworkPlan[]>;
  /** Networks to leave exactly as they are (their plan cannot be read right now). */
  readonly untouched?: ReadonlySet<string>;
  /** Table per network assigned before (the checkpoint). */
  readonly remembered: Readonly<Record<string, number>>;
}

export interface RouteSyncResult {
  /** Table id per network (to remember across restarts). */
  readonly tables: Record<string, number>;
  readonly statuses: HostRouteStatus[];
  /** Networks whose routes were removed. */
  readonly removed: string[];
}

async function ipJson<T>(host: HostOps, args: readonly string[], parse: (v: unknown) => T): Promise<T> {
  const res = await host.ip(args);
  // A table nobody has put a route in yet does not exist: that is an empty table.
  if (res.exitCode !== 0 && /FIB table does not exist/.test(res.stderr)) return parse([]);
  if (res.exitCode !== 0) throw new Error(`ip ${args.join(' ')} failed (exit ${res.exitCode}): ${res.stderr.trim()}`);
  return parse(JSON.parse(res.stdout.trim() === '' ? '[]' : res.stdout));
}

export class RouteProgrammer {
  readonly #o: RouteProgrammerOptions;

  constructor(options: RouteProgrammerOptions) {
    this.#o = options;
  }

  async #rules(): Promise<IpRule[]> {
    const parse = (v: unknown): IpRule[] => IpRuleListSchema.parse(v);
    const [v4, v6] = await Promise.all([
      ipJson(this.#o.host, ['-N', '-j', 'rule', 'show'], parse),
      ipJson(this.#o.host, ['-6', '-N', '-j', 'rule', 'show'], parse),
    ]);
    return [...v4, ...v6.map((r): IpRule => ({ ...r, family: 6 }))];
  }

  async #routes(table: number | 'all'): Promise<IpRoute[]> {
    const parse = (v: unknown): IpRoute[] => IpRouteListSchema.parse(v);
    const t = String(table);
    const [v4, v6] = await Promise.all([
      ipJson(this.#o.host, ['-N', '-j', 'route', 'show', 'table', t], parse),
      ipJson(this.#o.host, ['-6', '-N', '-j', 'route', 'show', 'table', t], parse),
    ]);
    return [...v4, ...v6];
  }

  async #namedTables(): Promise<{ ids: Set<number>; ours: Map<number, string> }> {
    const ids = new Set<number>();
    const ours = new Map<number, string>();
    const dir = this.#o.rtTablesDir;
    if (dir === '') return { ids, ours };
    const files = [path.join(dir, 'rt_tables')];
    const dDir = path.join(dir, 'rt_tables.d');
    const entries = await readdir(dDir).catch(() => [] as string[]);
    files.push(...entries.filter((e) => e.endsWith('.conf')).map((e) => path.join(dDir, e)));
    for (const file of files) {
      const text = await readFile(file, 'utf8').catch(() => '');
      for (const line of text.split('\n')) {
        const m = /^\s*(\d+)\s+(\S+)/.exec(line);
        if (m === null) continue;
        if (path.basename(file) === 'multinic.conf') ours.set(Number(m[1]), m[2] ?? '');
        else ids.add(Number(m[1]));
      }
    }
    return { ids, ours };
  }

  /** Runs the lines, IPv4 with `ip -batch` and IPv6 with `ip -6 -batch`; the errors of both, or undefined. */
  async #apply(lines: readonly string[]): Promise<string | undefined> {
    const { v4, v6 } = linesByFamily(lines);
    const errors: string[] = [];
    for (const [flags, batch] of [
      [[], v4],
      [['-6'], v6],
    ] as const) {
      if (batch.length === 0) continue;
      const res = await this.#o.host.ip([...flags, '-force', '-batch', '-'], `${batch.join('\n')}\n`);
      if (res.exitCode !== 0)
        errors.push(res.stderr.trim() || `ip ${[...flags, '-batch'].join(' ')} exited ${res.exitCode}`);
    }
    return errors.length === 0 ? undefined : errors.join('\n');
  }

  async #writeNames(tables: Record<string, number>): Promise<void> {
    const dir = this.#o.rtTablesDir;
    if (dir === '') return;
    const file = path.join(dir, 'rt_tables.d', 'multinic.conf');
    await mkdir(path.dirname(file), { recursive: true });
    const body = Object.entries(tables)
      .sort(([, a], [, b]) => a - b)
      .map(([network, id]) => `${id} ${tableName(network)}`)
      .join('\n');
    await writeFile(`${file}.tmp`, `# Written by multinic-agent: one routing table per MultiNicNetwork.\n${body}\n`);
    await rename(`${file}.tmp`, file);
  }

  /**
   * Makes the kernel match the plans: each network that includes this node gets its table, rules and routes;
   * the tables of remembered networks that are no longer planned here (and not untouched) are emptied and their
   * rules deleted.
   */
  async sync(input: RouteSyncInput): Promise<RouteSyncResult> {
    const { plans, remembered } = input;
    const untouched = input.untouched ?? new Set<string>();
    const networks = [...plans.entries()]
      .filter(([, familyPlans]) => planIncludesHost(familyPlans, this.#o.nodeName))
      .map(([n]) => n);
    const [allRoutes, rules, named] = await Promise.all([this.#routes('all'), this.#rules(), this.#namedTables()]);
    // What our names file remembers fills in for a lost checkpoint; the checkpoint wins where both know a network or an id.
    const previous: Record<string, number> = { ...remembered };
    const taken = new Set(Object.values(remembered));
    for (const [network, id] of Object.entries(tablesFromNames(named.ours))) {
      if (previous[network] === undefined && !taken.has(id)) {
        previous[network] = id;
        taken.add(id);
      }
    }
    const ownIds = new Set(Object.values(previous));
    const used = new Set([...tablesInUse(allRoutes, rules), ...named.ids].filter((id) => !ownIds.has(id)));
    const kept = Object.fromEntries(Object.entries(previous).filter(([n]) => untouched.has(n)));
    const tables = {
      ...kept,
      ...assignTables({
        networks,
        previous,
        used: new Set([...used, ...Object.values(kept)]),
        base: this.#o.tableBase,
      }),
    };
    const statuses: HostRouteStatus[] = [];
    for (const network of networks) {
      const familyPlans = plans.get(network);
      const table = tables[network];
      if (familyPlans === undefined || table === undefined) continue;
      statuses.push(await this.#syncNetwork({ network, plans: familyPlans, table, rules }));
    }
    const removed: string[] = [];
    for (const [network, table] of Object.entries(previous)) {
      if (tables[network] !== undefined) continue;
      const error = await this.#apply(removalBatch(table, { routes: await this.#routes(table), rules }));
      if (error !== undefined)
        this.#o.log.warn({ network, table, error }, 'removing routes of a deleted network failed');
      else this.#o.log.info({ network, table }, 'removed the routes of a network that no longer includes this node');
      removed.push(network);
    }
    await this.#writeNames(tables);
    return { tables, statuses, removed };
  }

  async #syncNetwork(options: {
    network: string;
    plans: readonly NetworkPlan[];
    table: number;
    rules: readonly IpRule[];
  }): Promise<HostRouteStatus> {
    const { network, plans, table } = options;
    const desired = desiredRoutes({ network, plans, hostName: this.#o.nodeName, table });
    const current: CurrentState = { routes: await this.#routes(table), rules: options.rules };
    const lines = routeBatch(desired, current, this.#o.rulePriority);
    const error = await this.#apply(lines);
    const base = { network, table, tableName: tableName(network), routes: desired.routes.length };
    if (error !== undefined) {
      this.#o.onError?.(network);
      this.#o.log.error({ network, table, error, lines }, 'programming routes failed');
      return { ...base, status: 'Failed', message: error.slice(0, 4000) };
    }
    if (lines.length > 0) this.#o.log.info({ network, table, changes: lines.length }, 'routes programmed');
    return { ...base, status: 'Success' };
  }
}
