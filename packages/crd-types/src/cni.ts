// CNI wire types for spec versions 0.3.0, 0.3.1, 0.4.0, 1.0.0 and 1.1.0: configuration, results, errors.
import { z } from 'zod';
import { interfaceCidrField, ipField } from './fields.js';
import { CNI_SPEC_VERSIONS } from './names.js';
import type { CniSpecVersion } from './names.js';
import { problemsFromIssues, formatProblem } from './problems.js';
import { tryInterfaceAddress } from './prefix-math.js';

/** The spec's well-known error codes (codes ≥ 100 are plugin-specific). */
export const CniErrorCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironment: 4,
  IoFailure: 5,
  DecodingFailure: 6,
  InvalidNetworkConfig: 7,
  TryAgainLater: 11,
  PluginNotAvailable: 50,
  /** Reserved by the spec (1.1.0: not available, and existing containers may have limited connectivity). */
  PluginNotAvailableLimitedConnectivity: 51,
} as const;
export type CniErrorCodeValue = (typeof CniErrorCode)[keyof typeof CniErrorCode];

export const CniErrorSchema = z.strictObject({
  cniVersion: z.string().max(16),
  code: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1),
  msg: z.string(),
  details: z.string().optional(),
});
export type CniError = z.output<typeof CniErrorSchema>;

export function cniError(options: { cniVersion: string; code: number; msg: string; details?: string }): CniError {
  return {
    cniVersion: options.cniVersion,
    code: options.code,
    msg: options.msg,
    ...(options.details === undefined ? {} : { details: options.details }),
  };
}

const cniVersionField = z.enum(CNI_SPEC_VERSIONS, {
  error: (issue) =>
    `unsupported CNI version ${JSON.stringify(issue.input)}: use one of ${CNI_SPEC_VERSIONS.join(', ')}`,
});

function versionIndex(v: CniSpecVersion): number {
  return CNI_SPEC_VERSIONS.indexOf(v);
}

/** Semantic comparison of two supported versions (negative, zero, positive). */
export function compareCniVersions(a: CniSpecVersion, b: CniSpecVersion): number {
  return versionIndex(a) - versionIndex(b);
}

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'GC' | 'STATUS' | 'VERSION';

/** Whether a config of `version` may be used with `command` (CHECK from 0.4.0, GC and STATUS from 1.1.0). */
export function cniVersionSupports(version: CniSpecVersion, command: CniCommand): boolean {
  if (command === 'CHECK') return compareCniVersions(version, '0.4.0') >= 0;
  if (command === 'GC' || command === 'STATUS') return compareCniVersions(version, '1.1.0') >= 0;
  return true;
}

// ---------------------------------------------------------------- results

export const CniInterfaceSchema = z.strictObject({
  name: z.string().min(1).max(256),
  mac: z.string().max(59).optional(),
  /** 1.1.0 */
  mtu: z.number().int().min(0).optional(),
  sandbox: z.string().max(4096).optional(),
  /** 1.1.0 */
  socketPath: z.string().max(4096).optional(),
  /** 1.1.0 */
  pciID: z.string().max(64).optional(),
});
export type CniInterface = z.output<typeof CniInterfaceSchema>;

export const CniIpConfigSchema = z.strictObject({
  /** 0.3.0–0.4.0 only. */
  version: z.enum(['4', '6'], { error: 'must be "4" or "6"' }).optional(),
  address: interfaceCidrField(),
  gateway: ipField().optional(),
  interface: z.number().int().min(0).optional(),
});
export type CniIpConfig = z.output<typeof CniIpConfigSchema>;

export const CniRouteSchema = z.strictObject({
  dst: interfaceCidrField(),
  gw: ipField().optional(),
  /** 1.1.0 */
  mtu: z.number().int().min(0).optional(),
  /** 1.1.0 */
  advmss: z.number().int().min(0).optional(),
  /** 1.1.0 */
  priority: z.number().int().min(0).optional(),
  /** 1.1.0 */
  table: z.number().int().min(0).optional(),
  /** 1.1.0 */
  scope: z.number().int().min(0).optional(),
});
export type CniRoute = z.output<typeof CniRouteSchema>;

export const CniDnsSchema = z.strictObject({
  nameservers: z.array(z.string()).optional(),
  domain: z.string().optional(),
  search: z.array(z.string()).optional(),
  options: z.array(z.string()).optional(),
});
export type CniDns = z.output<typeof CniDnsSchema>;

const V110_INTERFACE_FIELDS = ['mtu', 'socketPath', 'pciID'] as const;
const V110_ROUTE_FIELDS = ['mtu', 'advmss', 'priority', 'table', 'scope'] as const;

type ResultShape = {
  cniVersion: CniSpecVersion;
  interfaces?: CniInterface[] | undefined;
  ips?: CniIpConfig[] | undefined;
  routes?: CniRoute[] | undefined;
};

function checkIps(result: ResultShape, ctx: z.core.$RefinementCtx): void {
  const pre100 = compareCniVersions(result.cniVersion, '1.0.0') < 0;
  (result.ips ?? []).forEach((ip, i) => {
    const family = tryInterfaceAddress(ip.address)?.address.family;
    if (pre100 && ip.version === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['ips', i, 'version'],
        message: `is required in CNI ${result.cniVersion} results ("4" or "6")`,
      });
    } else if (ip.version !== undefined && family !== undefined && ip.version !== String(family)) {
      ctx.addIssue({
        code: 'custom',
        path: ['ips', i, 'version'],
        message: `says IPv${ip.version} but ${ip.address} is IPv${family}`,
      });
    }
    if (ip.interface !== undefined && ip.interface >= (result.interfaces ?? []).length) {
      ctx.addIssue({
        code: 'custom',
        path: ['ips', i, 'interface'],
        message: `points at interfaces[${ip.interface}], which does not exist`,
      });
    }
  });
}

function checkNewerFields(result: ResultShape, ctx: z.core.$RefinementCtx): void {
  if (compareCniVersions(result.cniVersion, '1.1.0') >= 0) return;
  (result.interfaces ?? []).forEach((iface, i) => {
    for (const key of V110_INTERFACE_FIELDS) {
      if (iface[key] !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['interfaces', i, key],
          message: `is a CNI 1.1.0 field, not part of a ${result.cniVersion} result`,
        });
    }
  });
  (result.routes ?? []).forEach((route, i) => {
    for (const key of V110_ROUTE_FIELDS) {
      if (route[key] !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i, key],
          message: `is a CNI 1.1.0 field, not part of a ${result.cniVersion} result`,
        });
    }
  });
}

/** A result of ADD (any supported version; the rules of `cniVersion` apply). */
export const CniResultSchema = z
  .strictObject({
    cniVersion: cniVersionField,
    interfaces: z.array(CniInterfaceSchema).optional(),
    ips: z.array(CniIpConfigSchema).optional(),
    routes: z.array(CniRouteSchema).optional(),
    dns: CniDnsSchema.optional(),
  })
  .superRefine((result, ctx) => {
    checkIps(result, ctx);
    checkNewerFields(result, ctx);
  });
export type CniResult = z.output<typeof CniResultSchema>;

function pick<T extends object>(value: T, drop: readonly string[]): T {
  return Object.fromEntries(Object.entries(value).filter(([k]) => !drop.includes(k))) as T;
}

/**
 * Converts a result to another supported version, as libcni does: 0.x results carry `ips[].version` (derived from
 * the address), 1.x results do not; fields a target version does not define (1.1.0's interface `mtu`/`socketPath`/
 * `pciID` and route `mtu`/`advmss`/`priority`/`table`/`scope`) are dropped when converting down.
 */
export function convertResult(result: CniResult, to: CniSpecVersion): CniResult {
  const pre100 = compareCniVersions(to, '1.0.0') < 0;
  const has110 = compareCniVersions(to, '1.1.0') >= 0;
  const ips = result.ips?.map((ip) => {
    const rest = pick(ip, ['version']);
    if (!pre100) return rest;
    const family = tryInterfaceAddress(ip.address)?.address.family ?? (ip.address.includes(':') ? 6 : 4);
    return { version: String(family) as '4' | '6', ...rest };
  });
  const interfaces = result.interfaces?.map((i) => (has110 ? i : pick(i, V110_INTERFACE_FIELDS)));
  const routes = result.routes?.map((r) => (has110 ? r : pick(r, V110_ROUTE_FIELDS)));
  return {
    cniVersion: to,
    ...(interfaces === undefined ? {} : { interfaces }),
    ...(ips === undefined ? {} : { ips }),
    ...(routes === undefined ? {} : { routes }),
    ...(result.dns === undefined ? {} : { dns: result.dns }),
  };
}

/** Validates raw result JSON and converts it to `to`; failures are CNI errors with the spec's codes. */
export function parseAndConvertResult(
  raw: unknown,
  to: string,
): { ok: true; value: CniResult } | { ok: false; error: CniError } {
  const target = cniVersionField.safeParse(to);
  if (!target.success) {
    return {
      ok: false,
      error: cniError({
        cniVersion: to,
        code: CniErrorCode.IncompatibleVersion,
        msg: `incompatible CNI versions: cannot convert a result to ${to}`,
        details: `supported: ${CNI_SPEC_VERSIONS.join(', ')}`,
      }),
    };
  }
  const parsed = CniResultSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const problems = problemsFromIssues(parsed.error.issues).map(formatProblem);
    const incompatible = parsed.error.issues.some((i) => i.path.length === 1 && i.path[0] === 'cniVersion');
    return {
      ok: false,
      error: cniError({
        cniVersion: to,
        code: incompatible ? CniErrorCode.IncompatibleVersion : CniErrorCode.DecodingFailure,
        msg: 'invalid CNI result',
        details: problems.join('; '),
      }),
    };
  }
  return { ok: true, value: convertResult(parsed.data, target.data) };
}

/** Result of the VERSION command. */
export const CniVersionResultSchema = z.strictObject({
  cniVersion: z.string(),
  supportedVersions: z.array(z.string()),
});
export type CniVersionResult = z.output<typeof CniVersionResultSchema>;

// ---------------------------------------------------------------- configuration

const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const networkNameField = z.string().min(1).max(253).regex(NETWORK_NAME, {
  error: "must be a CNI network name: letters, digits, '_', '.', '-', starting with a letter or digit",
});

export const CniIpamConfigSchema = z.looseObject({ type: z.string().min(1, { error: 'must name the IPAM plugin' }) });

/**
 * The capabilities a runtime may fill into `runtimeConfig` (the CNI project's CONVENTIONS.md; Multus passes these from
 * a pod's network selection and its device-plugin allocation). libcni copies a key into a plugin's `runtimeConfig` only
 * when the plugin's configuration declares it under `capabilities`.
 */
export const CNI_WELL_KNOWN_CAPABILITIES = [
  'portMappings',
  'bandwidth',
  'ips',
  'mac',
  'infinibandGUID',
  'deviceID',
  'CNIDeviceInfoFile',
] as const;
export type CniCapability = (typeof CNI_WELL_KNOWN_CAPABILITIES)[number];

/**
 * `runtimeConfig` as Multus v4 hands it to a delegate (`types.RuntimeConfig`, filtered by the declared capabilities):
 * `ips` and `mac` from the network selection, `deviceID` from the kubelet's device-plugin allocation (the NAD's
 * `k8s.v1.cni.cncf.io/resourceName`) or the selection, `CNIDeviceInfoFile` whenever there is a deviceID. Unknown keys
 * are kept: a runtime may add its own.
 */
export const CniRuntimeConfigSchema = z.looseObject({
  ips: z.array(z.string().min(1).max(64)).max(64).optional(),
  mac: z.string().max(59).optional(),
  deviceID: z.string().max(1024).optional(),
  infinibandGUID: z.string().max(64).optional(),
  CNIDeviceInfoFile: z.string().max(4096).optional(),
  portMappings: z.array(z.record(z.string(), z.unknown())).optional(),
  bandwidth: z.record(z.string(), z.unknown()).optional(),
});
export type CniRuntimeConfig = z.output<typeof CniRuntimeConfigSchema>;

/** One plugin's configuration (inside a list, or on the plugin's stdin with name/cniVersion injected). */
export const CniPluginConfigSchema = z.looseObject({
  type: z.string().min(1, { error: 'must name the plugin executable' }).max(255),
  name: networkNameField.optional(),
  cniVersion: cniVersionField.optional(),
  capabilities: z.record(z.string(), z.boolean()).optional(),
  ipam: CniIpamConfigSchema.optional(),
  dns: CniDnsSchema.optional(),
  args: z.record(z.string(), z.unknown()).optional(),
  runtimeConfig: CniRuntimeConfigSchema.optional(),
  /**
   * The device a device plugin allocated to this attachment: Multus writes it into the delegate's top-level
   * `deviceID` and `pciBusID` (both the same value, `delegateAddDeviceID`) whether or not `capabilities` declares
   * `deviceID`, and into `runtimeConfig.deviceID` only when it does.
   */
  deviceID: z.string().max(1024).optional(),
  pciBusID: z.string().max(1024).optional(),
  prevResult: z.unknown().optional(),
});
export type CniPluginConfig = z.output<typeof CniPluginConfigSchema>;

/** A single-plugin network configuration (a `.conf` file or a plugin's stdin). */
export const CniNetworkConfigSchema = CniPluginConfigSchema.extend({
  name: networkNameField,
  cniVersion: cniVersionField,
});
export type CniNetworkConfig = z.output<typeof CniNetworkConfigSchema>;

/** A network configuration list (`.conflist`). */
export const CniNetworkConfigListSchema = z.looseObject({
  cniVersion: cniVersionField,
  /** 1.1.0: every version the list is valid for. */
  cniVersions: z.array(z.string()).optional(),
  name: networkNameField,
  disableCheck: z.boolean().optional(),
  /** 1.1.0 */
  disableGC: z.boolean().optional(),
  loadOnlyInlinedPlugins: z.boolean().optional(),
  plugins: z.array(CniPluginConfigSchema).min(1, { error: 'must list at least one plugin' }),
});
export type CniNetworkConfigList = z.output<typeof CniNetworkConfigListSchema>;

/** The key under which GC receives the attachments still in use (1.1.0). */
export const CNI_VALID_ATTACHMENTS_KEY = 'cni.dev/valid-attachments';
export const CniAttachmentSchema = z.strictObject({
  containerID: z.string().min(1),
  ifname: z.string().min(1).max(15),
});
export type CniAttachment = z.output<typeof CniAttachmentSchema>;

/** `CNI_ARGS` (`K=V;K=V`) as a map; later keys win; entries without '=' are reported. */
export function parseCniArgs(text: string): { ok: true; value: Record<string, string> } | { ok: false; error: string } {
  const out: Record<string, string> = {};
  for (const part of text.split(';')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) return { ok: false, error: `CNI_ARGS: "${part}" is not KEY=VALUE` };
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return { ok: true, value: out };
}
