// multi-nic-cni reads its objects and its `ipam` JSON text with Go's encoding/json, which matches a key to a field
// case-insensitively (an exact match wins): `multiNicIPAM`, `multinicipam` and `hostblock` all set the field. These
// are the field names of its Go types (api/v1 of foundation-model-stack/multi-nic-cni), so `migrate` reads what
// multi-nic-cni read, and says which keys it respelled.

/** A field that is a scalar (or a value kept as is), an object of known fields, or a list of such objects. */
export type Shape = null | Fields | readonly [Fields];
export interface Fields {
  readonly [name: string]: Shape;
}

const DNS: Fields = { nameservers: null, domain: null, search: null, options: null };

/** MultiNicNetworkSpec (with PluginSpec, DNS, AttachmentPolicy). */
export const NETWORK_SPEC: Fields = {
  masterNets: null,
  subnet: null,
  ipam: null,
  multiNICIPAM: null,
  plugin: { cniVersion: null, type: null, capabilities: null, dns: DNS, args: null },
  attachPolicy: { strategy: null, target: null },
  namespaces: null,
};

/** The `ipam` JSON text multi-nic-cni's controller decodes into its PluginConfig. */
export const IPAM: Fields = {
  type: null,
  hostBlock: null,
  interfaceBlock: null,
  excludeCIDRs: null,
  vlanMode: null,
};

/** CIDRSpec (PluginConfig, CIDREntry, HostInterfaceInfo). */
export const CIDR_SPEC: Fields = {
  config: {
    name: null,
    type: null,
    subnet: null,
    masterNets: null,
    hostBlock: null,
    interfaceBlock: null,
    excludeCIDRs: null,
    vlanMode: null,
  },
  cidr: [
    {
      netAddress: null,
      interfaceIndex: null,
      vlanCIDR: null,
      hosts: [{ hostIndex: null, hostName: null, interfaceName: null, hostIP: null, podCIDR: null, ippool: null }],
    },
  ],
};

/** IPPoolSpec with its Allocation list. */
export const IPPOOL_SPEC: Fields = {
  podCIDR: null,
  vlanCIDR: null,
  netAttachDef: null,
  hostName: null,
  interfaceName: null,
  excludes: null,
  allocations: [{ pod: null, namespace: null, index: null, address: null }],
};

/** HostInterfaceSpec with its InterfaceInfoType list. */
export const HOST_INTERFACE_SPEC: Fields = {
  hostName: null,
  interfaces: [{ interfaceName: null, netAddress: null, hostIP: null, vendor: null, product: null, pciAddress: null }],
};

/** DeviceClassSpec with its DeviceID list. */
export const DEVICE_CLASS_SPEC: Fields = { ids: [{ vendor: null, products: null }] };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A copy of `value` with every key of `fields` spelled as the Go type spells it, recursively. A `null` is dropped (Go
 * decodes it to the zero value, as if the key were absent). Keys that match no field are kept for the caller to
 * report. `notes` gets one line per respelled or shadowed key, with its path (`spec.multiNicIPAM`).
 */
export function goSpelling(value: unknown, fields: Fields, options: { path: string; notes: string[] }): unknown {
  if (!isRecord(value)) return value;
  const byLower = new Map(Object.keys(fields).map((k) => [k.toLowerCase(), k]));
  const out: Record<string, unknown> = {};
  const exact = new Set(Object.keys(value).filter((k) => k in fields));
  for (const [key, item] of Object.entries(value)) {
    const canonical = key in fields ? key : byLower.get(key.toLowerCase());
    const at = `${options.path}.${key}`;
    if (canonical === undefined) {
      out[key] = item;
      continue;
    }
    if (canonical !== key) {
      if (exact.has(canonical)) {
        options.notes.push(`${at} not carried over: ${options.path}.${canonical} is also set and wins`);
        continue;
      }
      options.notes.push(`${at} read as ${options.path}.${canonical} (multi-nic-cni matches field names in any case)`);
    }
    if (item === null) continue;
    out[canonical] = inner(item, fields[canonical] ?? null, {
      path: `${options.path}.${canonical}`,
      notes: options.notes,
    });
  }
  return out;
}

function inner(item: unknown, shape: Shape, options: { path: string; notes: string[] }): unknown {
  if (shape === null) return item;
  if (Array.isArray(shape)) {
    const itemShape = (shape as readonly [Fields])[0];
    return Array.isArray(item)
      ? item.map((x, i) => goSpelling(x, itemShape, { path: `${options.path}[${i}]`, notes: options.notes }))
      : item;
  }
  return goSpelling(item, shape as Fields, options);
}
