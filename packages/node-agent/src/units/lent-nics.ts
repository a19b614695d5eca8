// The NICs this agent lent to pods, and giving them back. A record is written when discovery first finds a NIC gone
// while a pod holds it (host-device moved it into the pod), with the NIC as last reported and the routes through
// it the discovery before saw; it lives in `<stateDir>/lent-nics.json` (written before the HostInterface says
// lentTo, temp file + rename), so an agent restarted while a NIC is away still knows what to give back. The
// HostInterface's lentTo is the fallback (a lost state directory: addresses back, routes not known).
// A record ends when the NIC is back and reported as a plain NIC again, or when it has not come back within
// `discovery.returnWaitMs` of its last holder's release (a virtual NIC dies with the pod's namespace).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { HostNic } from '@multinic/crd-types';
import { HostNicSchema } from '@multinic/crd-types';
import { z } from 'zod';
import type { IpLink } from '../discovery/nics.js';
import type { LentRecord, RecordedRoute } from '../discovery/restore.js';
import { RecordedRouteSchema, restorePlan, routeAddArgs } from '../discovery/restore.js';
import type { HostOps } from '../host.js';

const FileSchema = z.strictObject({
  version: z.literal(1),
  nics: z.array(
    z.strictObject({ nic: HostNicSchema, routes: z.array(RecordedRouteSchema), lentTo: z.string().min(1) }),
  ),
});

/** The records of lent NICs by interface name, persisted on every change. */
export class LentNicRecords {
  readonly file: string;
  readonly #records = new Map<string, LentRecord>();

  constructor(stateDir: string) {
    this.file = path.join(stateDir, 'lent-nics.json');
  }

  /** Reads the file; a missing file is no records, an unreadable one is reported and treated as none. */
  load(): { error?: string } {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ENOENT' ? {} : { error: String(err) };
    }
    try {
      const parsed = FileSchema.safeParse(JSON.parse(text));
      if (!parsed.success) return { error: parsed.error.message };
      for (const r of parsed.data.nics) this.#records.set(r.nic.interfaceName, r);
      return {};
    } catch (err) {
      return { error: String(err) };
    }
  }

  get(name: string): LentRecord | undefined {
    return this.#records.get(name);
  }

  entries(): LentRecord[] {
    return [...this.#records.values()];
  }

  /** Sets (or with undefined: deletes) a record; writes the file when anything changed. */
  set(name: string, record: LentRecord | undefined): void {
    const before = this.#records.get(name);
    if (JSON.stringify(before) === JSON.stringify(record)) return;
    if (record === undefined) this.#records.delete(name);
    else this.#records.set(name, record);
    this.#write();
  }

  #write(): void {
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ version: 1, nics: this.entries() })}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

/** A record from a reported HostNic and the routes seen through it (lentTo dropped from the NIC). */
export function recordOf(nic: HostNic, routes: readonly RecordedRoute[], lentTo: string): LentRecord {
  const { lentTo: _drop, ...plain } = nic;
  return { nic: plain, routes: [...routes], lentTo };
}

/** What giving a NIC back did. */
export interface GiveBackOutcome {
  /** Nothing was touched, and why (another device under that name, or the link is not there). */
  readonly untouched?: string;
  readonly broughtUp: boolean;
  readonly added: readonly string[];
  /** Recorded addresses another interface has: not added. */
  readonly conflicts: readonly string[];
  readonly routesAdded: readonly string[];
  /** Commands that failed, with `ip`'s error (a route that exists already is not a failure). */
  readonly failed: readonly string[];
}

/** Brings a returned NIC up, re-adds its recorded addresses no other interface has, then its recorded routes. */
export async function giveBack(host: HostOps, record: LentRecord, links: readonly IpLink[]): Promise<GiveBackOutcome> {
  const plan = restorePlan(record, links);
  const empty = { broughtUp: false, added: [], conflicts: [], routesAdded: [], failed: [] };
  if (!plan.touch) return { ...empty, untouched: plan.reason };
  const name = record.nic.interfaceName;
  const failed: string[] = [];
  const attempt = async (args: string[], exists = false): Promise<boolean> => {
    const res = await host.ip(args);
    if (res.exitCode === 0) return true;
    if (!(exists && /File exists/i.test(res.stderr))) failed.push(`ip ${args.join(' ')}: ${res.stderr.trim()}`);
    return false;
  };
  const added: string[] = [];
  for (const cidr of plan.add) if (await attempt(['addr', 'add', cidr, 'dev', name])) added.push(cidr);
  const broughtUp = plan.up && (await attempt(['link', 'set', 'dev', name, 'up']));
  const routesAdded: string[] = [];
  for (const r of plan.routes) {
    const args = routeAddArgs(name, r);
    if (await attempt(args, true)) routesAdded.push(args.slice(3).join(' '));
  }
  return {
    broughtUp,
    added,
    conflicts: plan.conflicts.map((c) => `${c.address} (on ${c.owner})`),
    routesAdded,
    failed,
  };
}
