// The public surface of @multinic/crd-types, by name (what other packages and users import). Internal helpers,
// such as most zod field builders of fields.ts, stay unexported.

// Parsing with readable problems
export { formatPath, formatProblem, parseWith, parseWithoutCompiling, problemsFromIssues } from './problems.js';
export type { FieldProblem, ParseResult } from './problems.js';

// API group, labels, annotations and the agent socket: plain names (no zod), what the CNI plugins bundle
export {
  AGENT_PATHS,
  AGENT_SOCKET_PATH,
  API_GROUP,
  API_VERSION,
  CNI_SPEC_VERSIONS,
  GROUP_VERSION,
  HOST_LABEL,
  INTERFACE_LABEL,
  MULTI_NIC_IPAM,
  NAD_API_VERSION,
  NETWORK_LABEL,
  NETWORK_STATUS_ANNOTATION,
  NETWORKS_ANNOTATION,
  REBUILT_CONTAINER_PREFIX,
  RESOURCE_NAME_ANNOTATION,
} from './names.js';
export type { CniSpecVersion } from './names.js';

// A zod field for a Kubernetes object name (the agent's --node-name); the other field builders stay internal
export { dnsSubdomainField } from './fields.js';

// Object metadata and conditions
export { ObjectMetaSchema, ConditionSchema, CONDITION_STATUSES } from './meta.js';
export type { ObjectMeta, Condition } from './meta.js';

// MultiNicNetwork
export {
  ATTACH_STRATEGIES,
  AttachPolicyAlternativeSchema,
  AttachPolicySchema,
  DnsSchema,
  IpamFieldSchema,
  IpamRouteSchema,
  IpamSchema,
  LEGACY_STRATEGY_ALIASES,
  MAX_BLOCK_BITS,
  MultiNicNetworkSchema,
  MultiNicNetworkSpecSchema,
  SubnetEntrySchema,
  MultiNicNetworkStatusSchema,
  NETWORK_CONDITION_REASONS,
  NETWORK_CONDITION_TYPES,
  NetworkInterfaceStatusSchema,
  PluginSchema,
  ROUTE_STATUSES,
  VLAN_MODES,
  usesMultiNicIpam,
} from './multinicnetwork.js';
export type {
  AttachPolicy,
  AttachPolicyAlternative,
  AttachStrategy,
  Dns,
  Ipam,
  IpamRoute,
  MultiNicNetwork,
  MultiNicNetworkInput,
  MultiNicNetworkSpec,
  MultiNicNetworkStatus,
  Plugin,
  RouteStatus,
  SubnetEntry,
  VlanMode,
} from './multinicnetwork.js';

// HostInterface, IPPool, CIDR and the plan types stored in them
export {
  CidrSchema,
  CidrSpecSchema,
  FamilyPlanSchema,
  HOST_ROUTE_STATUSES,
  HostInterfaceSchema,
  HostInterfaceSpecSchema,
  HostInterfaceStatusSchema,
  HostNicSchema,
  HostRouteStatusSchema,
  IPPoolAllocationSchema,
  IPPoolSchema,
  IPPoolSpecSchema,
  IPPoolStatusSchema,
  MAX_ALLOCATIONS,
  NicClassSchema,
  NicClassSpecSchema,
  PlanConfigSchema,
  PlanHostEntrySchema,
  PlanInterfaceEntrySchema,
} from './resources.js';
export { masterNetIndex, nicNetworks } from './nic-networks.js';
export type { NicAddressing } from './nic-networks.js';
export type {
  Cidr,
  CidrSpec,
  HostInterface,
  HostInterfaceSpec,
  HostInterfaceStatus,
  HostNic,
  HostRouteStatus,
  IPPool,
  IPPoolAllocation,
  IPPoolSpec,
  IPPoolStatus,
  NicClass,
  NicClassSpec,
} from './resources.js';

// Multus annotations and NetworkAttachmentDefinition
export {
  BandwidthSchema,
  DeviceInfoSchema,
  formatNetworksAnnotation,
  NetworkAttachmentDefinitionSchema,
  NetworkSelectionElementSchema,
  NetworkStatusEntrySchema,
  NetworkStatusSchema,
  parseNetworksAnnotation,
  parseNetworkStatusAnnotation,
  PortMappingSchema,
} from './multus.js';
export type {
  NetworkAttachmentDefinition,
  NetworkSelection,
  NetworkSelectionElement,
  NetworkStatus,
  NetworkStatusEntry,
} from './multus.js';

// CNI wire types (configurations, results, errors, version conversion)
export {
  CNI_VALID_ATTACHMENTS_KEY,
  CNI_WELL_KNOWN_CAPABILITIES,
  CniAttachmentSchema,
  CniDnsSchema,
  cniError,
  CniErrorCode,
  CniErrorSchema,
  CniInterfaceSchema,
  CniIpamConfigSchema,
  CniIpConfigSchema,
  CniNetworkConfigListSchema,
  CniNetworkConfigSchema,
  CniPluginConfigSchema,
  CniResultSchema,
  CniRouteSchema,
  CniRuntimeConfigSchema,
  CniVersionResultSchema,
  cniVersionSupports,
  compareCniVersions,
  convertResult,
  parseAndConvertResult,
  parseCniArgs,
} from './cni.js';
export type {
  CniAttachment,
  CniCapability,
  CniCommand,
  CniDns,
  CniError,
  CniErrorCodeValue,
  CniInterface,
  CniIpConfig,
  CniNetworkConfig,
  CniNetworkConfigList,
  CniPluginConfig,
  CniResult,
  CniRoute,
  CniRuntimeConfig,
  CniVersionResult,
} from './cni.js';

// The node agent API (requests and answers over its unix socket)
export {
  AGENT_ERROR_CODES,
  AgentErrorSchema,
  AllocateRequestSchema,
  AllocateResponseSchema,
  AllocationSchema,
  GcRequestSchema,
  GcResponseSchema,
  LookupRequestSchema,
  LookupResponseSchema,
  NicDecisionSchema,
  PodRefSchema,
  ReleaseRequestSchema,
  ReleaseResponseSchema,
  SelectedNicSchema,
  SelectRequestSchema,
  SelectResponseSchema,
  StatusRequestSchema,
  StatusResponseSchema,
} from './agent.js';
export type {
  AgentError,
  AllocateRequest,
  AllocateResponse,
  Allocation,
  GcRequest,
  GcResponse,
  LookupRequest,
  LookupResponse,
  NicDecision,
  PodRef,
  ReleaseRequest,
  ReleaseResponse,
  SelectedNic,
  SelectRequest,
  SelectResponse,
  StatusRequest,
  StatusResponse,
} from './agent.js';

// Any multinic manifest
export { MANIFEST_SCHEMAS, parseManifest } from './manifest.js';
export type { Manifest } from './manifest.js';

// From a MultiNicNetwork and HostInterfaces to the inputs of the plan (cidr-core)
export { planConfigOf, planConfigsOf, planHostOf } from './plan-config.js';
export type { PlannedHostInterface } from './plan-config.js';

// CustomResourceDefinitions generated from the schemas
export { toStructuralSchema } from './crd/structural.js';
export type { JsonObject, StructuralResult } from './crd/structural.js';
export {
  CRD_DEFINITIONS,
  CRD_FILE_HEADER,
  crdFileName,
  generateCrd,
  generateCrds,
  renderCrdFiles,
} from './crd/generate.js';
export type { CrdDefinition, CustomResourceDefinition, PrinterColumn } from './crd/generate.js';
