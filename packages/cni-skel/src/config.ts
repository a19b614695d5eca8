// The network configuration on stdin: decoded once, its version negotiated against the command.
import {
  CNI_SPEC_VERSIONS,
  CNI_VALID_ATTACHMENTS_KEY,
  CniAttachmentSchema,
  CniNetworkConfigSchema,
  cniVersionSupports,
  formatProblem,
  parseAndConvertResult,
  parseWith,
} from '@multinic/crd-types';
import type { CniAttachment, CniCommand, CniResult, CniSpecVersion } from '@multinic/crd-types';
import { decodingFailure, incompatibleVersion, invalidConfig, CniFailure } from './errors.js';

export type JsonObject = Readonly<Record<string, unknown>>;

/** The configuration with the fields every command relies on checked. */
export interface DecodedConfig {
  /** The whole object as received (plugin-specific fields, `runtimeConfig`, `args`, `prevResult`, …). */
  readonly raw: JsonObject;
  readonly cniVersion: CniSpecVersion;
  readonly name: string;
}

/** The lowest config version each command exists in. */
const SINCE: Partial<Record<CniCommand, CniSpecVersion>> = { CHECK: '0.4.0', GC: '1.1.0', STATUS: '1.1.0' };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSupported(version: unknown): version is CniSpecVersion {
  return typeof version === 'string' && (CNI_SPEC_VERSIONS as readonly string[]).includes(version);
}

function parseJson(stdin: string): Record<string, unknown> {
  if (stdin.trim() === '')
    throw decodingFailure('no network configuration on stdin: the runtime must pass the JSON network configuration');
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdin);
  } catch (err) {
    throw decodingFailure(`the network configuration on stdin is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw decodingFailure('the network configuration on stdin must be a JSON object');
  return parsed;
}

function versionOf(raw: Record<string, unknown>, command: CniCommand): CniSpecVersion {
  const version = raw['cniVersion'];
  const supported = `this plugin supports ${CNI_SPEC_VERSIONS.join(', ')}`;
  if (version === undefined || version === '')
    throw incompatibleVersion(`incompatible CNI versions: the network configuration has no cniVersion; ${supported}`);
  if (!isSupported(version))
    throw incompatibleVersion(`incompatible CNI versions: config is ${JSON.stringify(version)}, ${supported}`);
  if (!cniVersionSupports(version, command)) {
    throw incompatibleVersion(
      `config version ${version} does not allow ${command}: ${command} exists from CNI ${SINCE[command] ?? ''} on; raise cniVersion`,
    );
  }
  return version;
}

function nameOf(raw: Record<string, unknown>): string {
  const name = raw['name'];
  if (name === undefined || name === '')
    throw invalidConfig('missing network name: set "name" in the network configuration');
  const parsed = CniNetworkConfigSchema.shape.name.safeParse(name);
  if (!parsed.success)
    throw invalidConfig(`network name ${JSON.stringify(name)} ${parsed.error.issues[0]?.message ?? 'is invalid'}`);
  return parsed.data;
}

/** Decodes stdin for `command`: JSON (code 6), `cniVersion` supported and new enough for the command (code 1), `name` (code 7). */
export function decodeConfig(stdin: string, command: CniCommand): DecodedConfig {
  const raw = parseJson(stdin);
  const cniVersion = versionOf(raw, command);
  return { raw, cniVersion, name: nameOf(raw) };
}

/** `prevResult` validated and in the configuration's version; undefined when absent. Invalid → code 6. */
export function prevResultOf(config: DecodedConfig): CniResult | undefined {
  const prev = config.raw['prevResult'];
  if (prev === undefined || prev === null) return undefined;
  const parsed = parseAndConvertResult(prev, config.cniVersion);
  if (!parsed.ok)
    throw new CniFailure({
      code: parsed.error.code,
      msg: `prevResult: ${parsed.error.msg}`,
      details: parsed.error.details,
    });
  return parsed.value;
}

/** GC's `cni.dev/valid-attachments`. A GC without the list would release everything, so its absence is an error. */
export function validAttachmentsOf(config: DecodedConfig): CniAttachment[] {
  const list = config.raw[CNI_VALID_ATTACHMENTS_KEY];
  if (list === undefined) {
    throw invalidConfig(
      `GC needs "${CNI_VALID_ATTACHMENTS_KEY}" in the network configuration; without it every attachment would be released`,
    );
  }
  const parsed = parseWith(CniAttachmentSchema.array(), list);
  if (!parsed.ok)
    throw invalidConfig(`"${CNI_VALID_ATTACHMENTS_KEY}" is invalid: ${parsed.problems.map(formatProblem).join('; ')}`);
  return parsed.value;
}
