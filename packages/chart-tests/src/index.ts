export {
  ChartToolError,
  chartDir,
  helm,
  renderChart,
  renderRbac,
  RBAC_TEMPLATES,
  toolBinary,
  workspaceRoot,
} from './helm.js';
export type { ChartToolErrorCode, Component, HelmRun, RenderOptions } from './helm.js';
export { manifestKey, parseManifests } from './manifests.js';
export type { Manifest } from './manifests.js';
export { API_NEEDS, DENIED, grantKey, neededGrants, rbacTable, refusedRequests, renderedGrants } from './rbac.js';
export type { ApiNeed, Condition, DeniedCheck, Grant, NeedsContext, Scope } from './rbac.js';
export { renderReadme, valuesDocs, valuesTable } from './docs.js';
export type { ValueDoc } from './docs.js';
