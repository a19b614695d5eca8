// Every Kubernetes API call each component makes, and what it must never be allowed to do. The chart's RBAC is
// checked against this list (exactly these grants, nothing more), the chart README's table is generated from it,
// and the install test asks the real API server about each entry (SubjectAccessReview).
import type { Component } from './helm.js';
import type { Manifest } from './manifests.js';

/**
 * Where a grant applies: cluster-wide, only in the release namespace, or only in namespace `default` (where the
 * API server keeps core/v1 Events about cluster-scoped objects).
 */
export type Scope = 'cluster' | 'release-namespace' | 'default-namespace';

/** A values switch that removes the need when false. */
export type Condition = 'controller.leaderElection.enabled' | 'agent.routes.enabled' | 'agent.gc.enabled';

export interface ApiNeed {
  readonly component: Component;
  /** The call as the component makes it. */
  readonly call: string;
  /** Where in the component's source. */
  readonly source: string;
  readonly group: string;
  /** Plural resource, with `/subresource` when it is one. */
  readonly resource: string;
  readonly verbs: readonly string[];
  readonly scope: Scope;
  /** The one object the grant is limited to. */
  readonly resourceName?: string;
  readonly when?: Condition;
}

const MN = 'multinic.dev';
const NAD = 'k8s.cni.cncf.io';
const LEASE_NAME = '<fullname>-controller';

export const API_NEEDS: readonly ApiNeed[] = [
  // ---------------------------------------------------------------- controller
  {
    component: 'controller',
    call: 'informer: list + watch of every MultiNicNetwork',
    source: 'controller/src/controller.ts (caches), informers.ts',
    group: MN,
    resource: 'multinicnetworks',
    verbs: ['list', 'watch'],
    scope: 'cluster',
  },
  {
    component: 'controller',
    call: 'informer: HostInterfaces (the hosts and their NICs)',
    source: 'controller/src/controller.ts',
    group: MN,
    resource: 'hostinterfaces',
    verbs: ['list', 'watch'],
    scope: 'cluster',
  },
  {
    component: 'controller',
    call: 'informer: CIDRs; POST once, then PUT with the resourceVersion the plan was made from',
    source: 'controller/src/reconcile.ts #applyPlan',
    group: MN,
    resource: 'cidrs',
    verbs: ['list', 'watch', 'create', 'update'],
    scope: 'cluster',
  },
  {
    component: 'controller',
    call: 'informer: IPPools; server-side apply of each spec (creates missing pools); DELETE of pools no longer planned',
    source: 'controller/src/reconcile.ts #applyPlan, writer.ts',
    group: MN,
    resource: 'ippools',
    verbs: ['list', 'watch', 'create', 'patch', 'delete'],
    scope: 'cluster',
  },
  {
    component: 'controller',
    call: 'informer (label selector) on NetworkAttachmentDefinitions; server-side apply in each selected namespace; DELETE of orphans',
    source: 'controller/src/reconcile.ts #applyNads',
    group: NAD,
    resource: 'network-attachment-definitions',
    verbs: ['list', 'watch', 'create', 'patch', 'delete'],
    scope: 'cluster',
  },
  {
    component: 'controller',
    call: "server-side apply of a network's status (conditions, host counts, routes)",
    source: 'controller/src/reconcile.ts #finish',
    group: MN,
    resource: 'multinicnetworks/status',
    verbs: ['patch'],
    scope: 'cluster',
  },
  {
    component: 'controller',
    call: 'ownerReferences with blockOwnerDeletion to the network (OwnerReferencesPermissionEnforcement admission)',
    source: 'controller/src/desired.ts ownerReference',
    group: MN,
    resource: 'multinicnetworks/finalizers',
    verbs: ['update'],
    scope: 'cluster',
  },
  {
    component: 'controller',
    call: 'informers: Nodes and Namespaces',
    source: 'controller/src/controller.ts',
    group: '',
    resource: 'nodes',
    verbs: ['list', 'watch'],
    scope: 'cluster',
  },
  {
    component: 'controller',
    call: 'informers: Nodes and Namespaces',
    source: 'controller/src/controller.ts',
    group: '',
    resource: 'namespaces',
    verbs: ['list', 'watch'],
    scope: 'cluster',
  },
  {
    component: 'controller',
    call: 'POST of core/v1 Events about networks (cluster-scoped, so into `default`)',
    source: 'controller/src/writer.ts event',
    group: '',
    resource: 'events',
    verbs: ['create'],
    scope: 'default-namespace',
  },
  {
    component: 'controller',
    call: 'leader election: POST of the Lease when it does not exist',
    source: 'controller/src/leader.ts #create',
    group: 'coordination.k8s.io',
    resource: 'leases',
    verbs: ['create'],
    scope: 'release-namespace',
    when: 'controller.leaderElection.enabled',
  },
  {
    component: 'controller',
    call: 'leader election: GET and PUT (renew, release) of its Lease',
    source: 'controller/src/leader.ts',
    group: 'coordination.k8s.io',
    resource: 'leases',
    verbs: ['get', 'update'],
    scope: 'release-namespace',
    resourceName: LEASE_NAME,
    when: 'controller.leaderElection.enabled',
  },
  // ---------------------------------------------------------------- agent
  {
    component: 'agent',
    call: 'informer on IPPools; GET of a pool before each status write',
    source: 'node-agent/src/agent.ts, ipam/mirror.ts',
    group: MN,
    resource: 'ippools',
    verbs: ['get', 'list', 'watch'],
    scope: 'cluster',
  },
  {
    component: 'agent',
    call: "PUT of an IPPool's status (allocations) with the resourceVersion it read",
    source: 'node-agent/src/ipam/mirror.ts',
    group: MN,
    resource: 'ippools/status',
    verbs: ['update'],
    scope: 'cluster',
  },
  {
    component: 'agent',
    call: 'informers: MultiNicNetworks and NicClasses (attach policies)',
    source: 'node-agent/src/agent.ts',
    group: MN,
    resource: 'multinicnetworks',
    verbs: ['list', 'watch'],
    scope: 'cluster',
  },
  {
    component: 'agent',
    call: 'informers: MultiNicNetworks and NicClasses (attach policies)',
    source: 'node-agent/src/agent.ts',
    group: MN,
    resource: 'nicclasses',
    verbs: ['list', 'watch'],
    scope: 'cluster',
  },
  {
    component: 'agent',
    call: 'informer on its HostInterface (field selector metadata.name); server-side apply of it (creates it)',
    source: 'node-agent/src/agent.ts #discover',
    group: MN,
    resource: 'hostinterfaces',
    verbs: ['list', 'watch', 'create', 'patch'],
    scope: 'cluster',
  },
  {
    component: 'agent',
    call: 'server-side apply of the route status on its HostInterface',
    source: 'node-agent/src/agent.ts #reportRoutes',
    group: MN,
    resource: 'hostinterfaces/status',
    verbs: ['patch'],
    scope: 'cluster',
    when: 'agent.routes.enabled',
  },
  {
    component: 'agent',
    call: 'informer on CIDRs (the L3 route plan)',
    source: 'node-agent/src/agent.ts',
    group: MN,
    resource: 'cidrs',
    verbs: ['list', 'watch'],
    scope: 'cluster',
    when: 'agent.routes.enabled',
  },
  {
    component: 'agent',
    call: 'informer on the pods of its node (field selector spec.nodeName) for address GC',
    source: 'node-agent/src/agent.ts #podGc',
    group: '',
    resource: 'pods',
    verbs: ['list', 'watch'],
    scope: 'cluster',
    when: 'agent.gc.enabled',
  },
  {
    component: 'agent',
    call: 'POST of core/v1 Events about IPPools whose status it repaired (cluster-scoped, so into `default`)',
    source: 'node-agent/src/ipam/mirror.ts #repaired',
    group: '',
    resource: 'events',
    verbs: ['create'],
    scope: 'default-namespace',
  },
];

export interface DeniedCheck {
  readonly component: Component;
  readonly group: string;
  readonly resource: string;
  readonly verb: string;
  /** A namespace for the check; omitted: cluster-wide (all namespaces). 'release' is the release namespace. */
  readonly namespace?: string;
  readonly name?: string;
  readonly why: string;
}

const both = (check: Omit<DeniedCheck, 'component'>): DeniedCheck[] => [
  { component: 'controller', ...check },
  { component: 'agent', ...check },
];

/** What neither component may do, and what one may do but the other not. */
export const DENIED: readonly DeniedCheck[] = [
  ...both({ group: '', resource: 'secrets', verb: 'get', namespace: 'release', why: 'no component reads secrets' }),
  ...both({ group: '', resource: 'secrets', verb: 'list', why: 'no component reads secrets' }),
  ...both({ group: '', resource: 'pods/exec', verb: 'create', namespace: 'default', why: 'nobody execs into pods' }),
  ...both({ group: '', resource: 'nodes', verb: 'update', why: 'nodes are only read' }),
  ...both({ group: '', resource: 'nodes', verb: 'patch', why: 'nodes are only read' }),
  ...both({
    group: 'apiextensions.k8s.io',
    resource: 'customresourcedefinitions',
    verb: 'create',
    why: 'CRDs come with the chart',
  }),
  ...both({
    group: 'apiextensions.k8s.io',
    resource: 'customresourcedefinitions',
    verb: 'update',
    why: 'CRDs come with the chart',
  }),
  ...both({
    group: 'apiextensions.k8s.io',
    resource: 'customresourcedefinitions',
    verb: 'delete',
    why: 'CRDs come with the chart',
  }),
  ...both({
    group: '',
    resource: 'configmaps',
    verb: 'get',
    namespace: 'release',
    why: 'configuration is mounted, not read from the API',
  }),
  ...both({
    group: '',
    resource: 'serviceaccounts/token',
    verb: 'create',
    namespace: 'release',
    why: 'no token minting',
  }),
  ...both({ group: 'rbac.authorization.k8s.io', resource: 'clusterroles', verb: 'escalate', why: 'no RBAC changes' }),
  ...both({ group: '', resource: 'users', verb: 'impersonate', why: 'no impersonation' }),
  ...both({ group: MN, resource: 'multinicnetworks', verb: 'update', why: 'the user owns network specs' }),
  ...both({ group: MN, resource: 'multinicnetworks', verb: 'delete', why: 'the user owns networks' }),
  ...both({ group: MN, resource: 'cidrs', verb: 'delete', why: 'CIDRs go with their network (owner references)' }),
  // The agent writes IPPool status only: RBAC separates spec from status through the status subresource.
  { component: 'agent', group: MN, resource: 'ippools', verb: 'update', why: "the IPPool spec is the controller's" },
  { component: 'agent', group: MN, resource: 'ippools', verb: 'patch', why: "the IPPool spec is the controller's" },
  { component: 'agent', group: MN, resource: 'ippools', verb: 'create', why: 'the controller creates IPPools' },
  { component: 'agent', group: MN, resource: 'ippools', verb: 'delete', why: 'the controller deletes IPPools' },
  {
    component: 'agent',
    group: MN,
    resource: 'ippools/status',
    verb: 'patch',
    why: 'the agent PUTs the status; patch is not used',
  },
  {
    component: 'agent',
    group: MN,
    resource: 'multinicnetworks/status',
    verb: 'patch',
    why: "network status is the controller's",
  },
  { component: 'agent', group: MN, resource: 'cidrs', verb: 'update', why: "the plan is the controller's" },
  {
    component: 'agent',
    group: NAD,
    resource: 'network-attachment-definitions',
    verb: 'create',
    namespace: 'default',
    why: "NADs are the controller's",
  },
  {
    component: 'agent',
    group: MN,
    resource: 'hostinterfaces',
    verb: 'delete',
    why: 'the agent only applies its HostInterface',
  },
  {
    component: 'agent',
    group: '',
    resource: 'pods',
    verb: 'get',
    namespace: 'default',
    why: 'the agent lists and watches pods, never gets one',
  },
  { component: 'agent', group: '', resource: 'pods', verb: 'delete', namespace: 'default', why: 'pods are only read' },
  {
    component: 'agent',
    group: 'coordination.k8s.io',
    resource: 'leases',
    verb: 'create',
    namespace: 'release',
    why: 'the agent does not elect a leader',
  },
  {
    component: 'agent',
    group: '',
    resource: 'events',
    verb: 'create',
    namespace: 'release',
    why: 'Events only in namespace default',
  },
  {
    component: 'agent',
    group: '',
    resource: 'events',
    verb: 'create',
    namespace: 'kube-system',
    why: 'Events only in namespace default',
  },
  { component: 'controller', group: '', resource: 'pods', verb: 'list', why: 'the controller never looks at pods' },
  {
    component: 'controller',
    group: MN,
    resource: 'ippools/status',
    verb: 'update',
    why: "allocations are the agents'",
  },
  {
    component: 'controller',
    group: MN,
    resource: 'hostinterfaces',
    verb: 'patch',
    why: "HostInterfaces are the agents'",
  },
  {
    component: 'controller',
    group: MN,
    resource: 'hostinterfaces',
    verb: 'create',
    why: "HostInterfaces are the agents'",
  },
  {
    component: 'controller',
    group: MN,
    resource: 'nicclasses',
    verb: 'list',
    why: 'the controller does not use NicClasses',
  },
  {
    component: 'controller',
    group: NAD,
    resource: 'network-attachment-definitions',
    verb: 'update',
    namespace: 'default',
    why: 'NADs are written by server-side apply only',
  },
  {
    component: 'controller',
    group: 'coordination.k8s.io',
    resource: 'leases',
    verb: 'update',
    namespace: 'release',
    name: 'another-lease',
    why: 'only its own Lease',
  },
  {
    component: 'controller',
    group: 'coordination.k8s.io',
    resource: 'leases',
    verb: 'create',
    namespace: 'kube-system',
    why: 'leases only in the release namespace',
  },
  {
    component: 'controller',
    group: '',
    resource: 'events',
    verb: 'create',
    namespace: 'kube-system',
    why: 'Events only in namespace default',
  },
  {
    component: 'controller',
    group: '',
    resource: 'events',
    verb: 'create',
    namespace: 'release',
    why: 'Events only in namespace default',
  },
];

export interface Grant {
  readonly group: string;
  readonly resource: string;
  readonly verb: string;
  /** undefined: cluster-wide. */
  readonly namespace?: string;
  readonly name?: string;
}

export function grantKey(g: Grant): string {
  return `${g.group || 'core'}/${g.resource} ${g.verb}${g.namespace === undefined ? '' : ` in ${g.namespace}`}${g.name === undefined ? '' : ` name=${g.name}`}`;
}

export interface NeedsContext {
  readonly namespace: string;
  /** The controller's Lease name (`<fullname>-controller`). */
  readonly leaseName: string;
  /** Values switches; a missing one counts as true (the chart's default). */
  readonly enabled?: Partial<Record<Condition, boolean>>;
}

/** The grants a component needs with the given values. */
export function neededGrants(component: Component, ctx: NeedsContext): Grant[] {
  const out: Grant[] = [];
  for (const need of API_NEEDS) {
    if (need.component !== component || (need.when !== undefined && ctx.enabled?.[need.when] === false)) continue;
    for (const verb of need.verbs) {
      out.push({
        group: need.group,
        resource: need.resource,
        verb,
        ...(need.scope === 'cluster'
          ? {}
          : { namespace: need.scope === 'default-namespace' ? 'default' : ctx.namespace }),
        ...(need.resourceName === undefined
          ? {}
          : { name: need.resourceName === LEASE_NAME ? ctx.leaseName : need.resourceName }),
      });
    }
  }
  return out;
}

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
}

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

function boundRoles(manifests: readonly Manifest[], subject: Subject): Manifest[] {
  const bindings = manifests.filter((m) => m.kind === 'ClusterRoleBinding' || m.kind === 'RoleBinding');
  const roles: Manifest[] = [];
  for (const b of bindings) {
    const subjects = (b['subjects'] as Subject[] | undefined) ?? [];
    if (!subjects.some((s) => s.kind === subject.kind && s.name === subject.name && s.namespace === subject.namespace))
      continue;
    const ref = b['roleRef'] as { kind: string; name: string };
    const role = manifests.find(
      (m) =>
        m.kind === ref.kind &&
        m.metadata.name === ref.name &&
        (ref.kind === 'ClusterRole' || m.metadata.namespace === b.metadata.namespace),
    );
    if (role === undefined)
      throw new Error(
        `${b.kind} ${b.metadata.name} refers to ${ref.kind} ${ref.name}, which the chart does not render`,
      );
    roles.push(
      role.kind === 'ClusterRole' && b.kind === 'RoleBinding'
        ? { ...role, metadata: { ...role.metadata, namespace: b.metadata.namespace as string } }
        : role,
    );
  }
  return roles;
}

/**
 * Every (group, resource, verb, namespace, name) the rendered RBAC grants the ServiceAccount, expanded rule by rule.
 * Wildcards are kept as `*` so a test comparing with `neededGrants` fails on them.
 */
export function renderedGrants(
  manifests: readonly Manifest[],
  serviceAccount: { name: string; namespace: string },
): Grant[] {
  return boundRoles(manifests, { kind: 'ServiceAccount', ...serviceAccount }).flatMap((role) => {
    const namespace = role.kind === 'Role' ? role.metadata.namespace : undefined;
    return ((role['rules'] as PolicyRule[] | undefined) ?? []).flatMap((rule) => expandRule(rule, namespace));
  });
}

function expandRule(rule: PolicyRule, namespace: string | undefined): Grant[] {
  const names = rule.resourceNames ?? [undefined];
  return (rule.apiGroups ?? []).flatMap((group) =>
    (rule.resources ?? []).flatMap((resource) =>
      (rule.verbs ?? []).flatMap((verb) =>
        names.map((name) => ({
          group,
          resource,
          verb,
          ...(namespace === undefined ? {} : { namespace }),
          ...(name === undefined ? {} : { name }),
        })),
      ),
    ),
  );
}

const escapeCell = (text: string): string => text.replace(/\|/g, '\\|');

/** The chart README's RBAC table (kept equal by a test). */
export function rbacTable(): string {
  const rows = API_NEEDS.map((n) => {
    const resource = `${n.group === '' ? '' : `${n.group}/`}${n.resource}${n.resourceName === undefined ? '' : ` (name \`${n.resourceName}\`)`}`;
    const scope = {
      cluster: 'ClusterRole',
      'release-namespace': 'Role (release namespace)',
      'default-namespace': 'Role (namespace `default`)',
    }[n.scope];
    const when = n.when === undefined ? '' : ` — only with \`${n.when}\``;
    return `| ${n.component} | ${escapeCell(n.call)}${when} | \`${n.source}\` | ${n.verbs.join(', ')} | \`${resource}\` | ${scope} |`;
  });
  return [
    '| component | API call | where | verbs | resource | granted by |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** A log line about a request the API server refused for authentication, authorization or validation. */
const REFUSED_REQUEST = /HTTP (401|403|422)\b|\b403\b|forbidden|unauthorized/i;

/**
 * The log lines of a component about requests the API server refused: a component run under the chart's RBAC as
 * rendered must never have one (used by the component tests here and by e2e).
 */
export function refusedRequests(lines: readonly string[]): string[] {
  return lines.filter((line) => REFUSED_REQUEST.test(line));
}
