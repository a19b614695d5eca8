import type { z } from 'zod';
import { API_GROUP, API_VERSION, formatProblem, parseWith } from '@multinic/crd-types';
import { InputError, where, type SourceDocument } from './io.js';

/** Where a manifest of multi-nic-cni's API group is met, the user is pointed at `multinic migrate`. */
export const LEGACY_API_GROUP = 'multinic.fms.io';

/** Parses one document as `kind` or throws an InputError naming the file, the document and every bad field. */
export function parseDocument<S extends z.ZodType>(
  doc: SourceDocument,
  options: { kind: string; schema: S; total: number },
): z.output<S> {
  const place = where(doc, options.total);
  const value = doc.value as { apiVersion?: unknown; kind?: unknown };
  if (typeof value !== 'object' || value === null)
    throw new InputError(`${place}: expected a ${options.kind} manifest (a YAML mapping)`);
  if (value.kind !== options.kind)
    throw new InputError(`${place}: kind is ${JSON.stringify(value.kind)}, expected ${options.kind}`);
  if (typeof value.apiVersion === 'string' && value.apiVersion.startsWith(`${LEGACY_API_GROUP}/`)) {
    throw new InputError(
      `${place}: apiVersion ${value.apiVersion} is multi-nic-cni's; convert it with \`multinic migrate -f ${doc.file}\``,
    );
  }
  const parsed = parseWith(options.schema, doc.value);
  if (!parsed.ok)
    throw new InputError(
      `${place}: invalid ${options.kind} (${API_GROUP}/${API_VERSION}):\n${indent(parsed.problems.map(formatProblem))}`,
    );
  return parsed.value;
}

export function indent(lines: readonly string[]): string {
  return lines.map((m) => `  ${m}`).join('\n');
}
