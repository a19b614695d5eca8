export {
  MULTI_NIC_CNI_TYPE,
  NETWORK_LABEL,
  networkPlugin,
  needsHostRoutes,
  nadConfig,
  nadCapabilities,
  MAC_CAPABLE_TYPES,
  WHOLE_NIC_TYPES,
  buildNetworkAttachmentDefinition,
  buildNetworkAttachmentDefinitions,
  parseMultiNicNetConf,
} from './nad.js';
export type { MultiNicNetConf, NadOptions } from './nad.js';
export {
  PLUGIN_TYPES,
  IPVLAN_MODES,
  MACVLAN_MODES,
  LINK_STATES,
  VLAN_PROTOCOLS,
  parsePlugin,
  pluginJson,
  pluginFromJson,
} from './plugin.js';
export type {
  PluginType,
  PluginConfig,
  IpvlanPlugin,
  MacvlanPlugin,
  HostDevicePlugin,
  SriovPlugin,
  ParsePluginOptions,
} from './plugin.js';
export { buildDelegates, buildPassThroughDelegates, podInterfaceName } from './delegate.js';
export type {
  BuildDelegatesInput,
  BuildPassThroughDelegatesInput,
  Delegate,
  DelegateNic,
  DelegatePlan,
  PassThroughNic,
} from './delegate.js';
export { placeTables, planPodRoutes, routeCommands } from './routes.js';
export type {
  PlaceTablesInput,
  NetworkRoute,
  PodNicAddressing,
  PodRoutePlan,
  PolicyRoutingOptions,
  PlanPodRoutesInput,
  MultipathRoute,
  Nexthop,
  RouteTable,
  TableRoute,
  SourceRule,
  SkippedRoute,
} from './routes.js';
export { renderTemplate, TEMPLATE_VARIABLES } from './template.js';
export type { RenderTemplateInput, RenderedTemplate, TemplatePool } from './template.js';
export { canonicalJson } from './json.js';
export type { Json, JsonObject } from './json.js';
export { checkNetworkSpec } from './spec.js';
export type { NetworkSpecCheck } from './spec.js';
