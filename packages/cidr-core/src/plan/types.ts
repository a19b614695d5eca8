// The network plan types. `NetworkPlan` IS the spec of the CIDR custom resource (multi-nic-cni's shape,
// plus `highWater`, see PlanInterfaceEntry).
import type { PlanProblemCode } from '../codes.js';

/** What the user configures for one network (a subset of the MultiNicNetwork spec). */
export interface PlanConfig {
  /** Global pod subnet (IPv4 or IPv6). Empty string: host-subnet mode (pod blocks carved from each NIC's subnet). */
  subnet: string;
  /** Bits that select the NIC network: up to 2^interfaceBlock networks. */
  interfaceBlock: number;
  /**
   * Bits that select the host: up to 2^hostBlock hosts per network. Required with a subnet. In host-subnet mode
   * it may be left out: each NIC network then gets `defaultHostBlock` (half its address bits, at most 16).
   */
  hostBlock?: number | undefined;
  /** NIC networks to use, in interface-index order when the plan is created. Empty: every network seen on hosts. */
  masterNets: string[];
  /** Prefixes never handed out. */
  excludeCIDRs: string[];
}

/** One secondary NIC of a host, as discovered by the node agent. */
export interface PlanNic {
  interfaceName: string;
  /** The NIC's network, e.g. `10.0.1.0/24` (host bits must be clear). */
  netAddress: string;
  /** The host's address on that network. */
  hostIP: string;
  /** Optional gateway of the NIC network; host-subnet mode never puts it in a pod block. */
  gateway?: string | undefined;
  /**
   * Every global address of the NIC with its prefix length (`10.0.1.5/24`, `fd00:10:1::5/64`). `computePlan` reads
   * only netAddress and hostIP; `computeFamilyPlans` takes a NIC's address of the family it plans from here.
   */
  addresses?: readonly string[] | undefined;
}

export interface PlanHost {
  hostName: string;
  interfaces: PlanNic[];
}

export interface PlanHostEntry {
  hostIndex: number;
  hostName: string;
  interfaceName: string;
  hostIP: string;
  podCIDR: string;
  ippool: string;
}

export interface PlanInterfaceEntry {
  netAddress: string;
  interfaceIndex: number;
  vlanCIDR: string;
  /** Ordered by hostIndex. */
  hosts: PlanHostEntry[];
  /**
   * Every host index >= highWater has never been handed out on this network. A freed index is reused
   * only when no never-used index is left, so a block that just emptied is not given to another host
   * at once. Optional on input (a plan without it counts max(hostIndex)+1); always set on output.
   */
  highWater?: number;
}

export interface NetworkPlan {
  config: PlanConfig;
  /** Ordered by interfaceIndex. */
  cidr: PlanInterfaceEntry[];
}

/** The spec of one IPPool: one per (network, host, interface). */
export interface IPPoolPlan {
  name: string;
  hostName: string;
  interfaceName: string;
  podCIDR: string;
  vlanCIDR: string;
  /** Prefixes inside podCIDR that must never be handed out. */
  excludes: string[];
  /** Host-subnet mode: the gateway this host's NIC reported on the network (the pods' gateway there). */
  gateway?: string;
}

/** `ip route add <dst> via <via> dev <dev> table <table>` */
export interface PlannedRoute {
  dst: string;
  via: string;
  dev: string;
  table: number;
}

/** `ip rule add from <from> lookup <table>`: pods of that vlan block use that network's table. */
export interface PlannedRule {
  from: string;
  table: number;
}

/** A reason something was not planned. Without host and network it concerns the configuration. */
export interface PlanProblem {
  /** The kind of problem, for programs (switch on it; `reason` is for people). */
  code: PlanProblemCode;
  host?: string;
  network?: string;
  reason: string;
}

export interface PlanInput {
  /** The MultiNicNetwork name: prefixes IPPool names. */
  networkName: string;
  config: PlanConfig;
  hosts: readonly PlanHost[];
  /** The plan computed last time: indexes in it are kept. */
  previous?: NetworkPlan;
  /**
   * The network's routing table in `routes` and `rules`: one table for all its interface networks (default 1000,
   * the node agent's `routes.tableBase`). On a node the agent uses the lowest id >= its base that is free there
   * (named `mn-<network>` in rt_tables.d), so another routed network or a foreign table on that node moves it up.
   */
  routeTableBase?: number;
}

export interface PlanResult {
  plan: NetworkPlan;
  /** Ordered like the plan: by interface index, then host index. */
  ippools: IPPoolPlan[];
  /**
   * Routes per host name. Computed on first access of each host (a full table is hosts x networks x hosts
   * routes), read-only; enumerating all hosts computes all of them.
   */
  routes: Readonly<Record<string, PlannedRoute[]>>;
  /** Policy rules per host name (lazy like `routes`). */
  rules: Readonly<Record<string, PlannedRule[]>>;
  problems: PlanProblem[];
}

export const DEFAULT_ROUTE_TABLE_BASE = 1000;
