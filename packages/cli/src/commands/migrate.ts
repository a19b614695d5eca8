import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { HOST_LABEL } from '@multinic/crd-types';
import { EXIT, InputError, loadDocuments, where, type CliIO } from '../io.js';
import { migrateObjects, type MigrateSource } from '../legacy/convert.js';

/**
 * `multinic migrate -f FILE…`: multi-nic-cni's MultiNicNetwork, CIDR, IPPool (with allocations), HostInterface and
 * DeviceClass → multinic.dev/v1; prints the objects on stdout and what it converted, respelled or dropped on stderr.
 */
export async function migrateCommand(io: CliIO, args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      file: { type: 'string', short: 'f', multiple: true },
      output: { type: 'string', short: 'o', default: 'yaml' },
    },
    strict: true,
  });
  const files = values.file ?? [];
  if (files.length === 0)
    throw new InputError(
      '-f FILE is required: the multi-nic-cni manifests or cluster objects to migrate (and the pods, for IPPool allocations)',
    );
  if (values.output !== 'yaml' && values.output !== 'json')
    throw new InputError(`-o must be yaml or json, not "${values.output}"`);
  const sources: MigrateSource[] = [];
  for (const file of files) {
    const docs = await loadDocuments(io, file);
    for (const doc of docs) sources.push({ place: where(doc, docs.length), value: doc.value });
  }
  const { objects, notes, allocations } = migrateObjects(sources);
  for (const note of notes) io.err(`${note}\n`);
  io.err(`${summary(objects)}\n`);
  if (allocations > 0) {
    io.err(
      `${allocations} allocations are in the IPPools' status; before the multinic agents start (an agent without a checkpoint adopts its IPPools' status when it starts), apply the objects, then the IPPools' status: kubectl apply --server-side -f FILE && kubectl apply --server-side --subresource=status -l ${HOST_LABEL} -f FILE\n`,
    );
  }
  io.out(
    values.output === 'json'
      ? `${JSON.stringify(objects.length === 1 ? objects[0] : objects, null, 2)}\n`
      : objects.map((m) => stringify(m)).join('---\n'),
  );
  return EXIT.ok;
}

function summary(objects: readonly Record<string, unknown>[]): string {
  const counts = new Map<string, number>();
  for (const o of objects) counts.set(String(o['kind']), (counts.get(String(o['kind'])) ?? 0) + 1);
  const parts = [...counts].map(([kind, n]) => `${n} ${kind}`);
  return `migrated ${parts.length === 0 ? 'nothing' : parts.join(', ')}`;
}
