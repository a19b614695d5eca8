// The `aws-ipvlan` IPAM hook: SPECIFIED ONLY, and internal to this package (nothing here is exported from the
// index until it works). On AWS the addresses of a pod's ipvlan interfaces must be secondary private IPs assigned to
// the node's ENIs through the EC2 API; a later issue implements `AwsIpvlanBackend` (in the node agent, which holds
// the credentials; the plugin stays thin). Until then ADD and CHECK are refused with AWS_IPVLAN_NOT_IMPLEMENTED,
// STATUS says the plugin cannot serve ADD (code 50), and DEL and GC succeed: this mode never assigned anything, so
// there is nothing to undo (the CNI spec requires DEL to succeed then).
import { CniErrorCode } from '@multinic/crd-types';
import { CniFailure } from '@multinic/cni-skel';
import type { CniPlugin } from '@multinic/cni-skel';

/** CNI error code (plugin-specific range, ≥ 100) of a configuration that asks for the unimplemented AWS mode. */
export const AWS_IPVLAN_NOT_IMPLEMENTED = 110;

/** `ipam` of `"mode": "aws-ipvlan"` (with `"type": "multi-nic-ipam"`). */
export interface AwsIpvlanIpamConf {
  readonly mode: 'aws-ipvlan';
  /** The MultiNicNetwork (default: the configuration's `name`). */
  readonly network?: string;
  /** The node agent's socket (default /run/multinic/agent.sock): the agent talks to EC2, never the plugin. */
  readonly agentSocket?: string;
  /** Only ENIs in these subnets are used (`subnet-…`); default: every secondary ENI of the instance. */
  readonly subnetIDs?: readonly string[];
  /** Tags an ENI must carry to be used, e.g. `{"multinic.dev/network": "net-a"}`. */
  readonly eniTags?: Readonly<Record<string, string>>;
  /** Secondary IPs the agent keeps assigned but unused per ENI so ADD does not wait on EC2 (default 0). */
  readonly warmIPTarget?: number;
}

/** One pod interface's address request: the ENI is the host NIC the main plugin's ipvlan sits on. */
export interface AwsIpvlanRequest {
  readonly network: string;
  readonly containerID: string;
  readonly ifname: string;
  /** Host NIC (the ENI's device name, e.g. `ens6`) per pod interface, in NIC order. */
  readonly interfaceNames: readonly string[];
}

/** What the AWS issue implements (in the agent, behind its socket API). */
export interface AwsIpvlanBackend {
  /** Assigns one secondary private IP per ENI (EC2 AssignPrivateIpAddresses) and records it; idempotent per attachment. */
  assign(request: AwsIpvlanRequest): Promise<readonly { interfaceName: string; address: string; gateway: string }[]>;
  /** Unassigns what `assign` recorded for the attachment; succeeds when nothing is recorded. */
  unassign(request: Omit<AwsIpvlanRequest, 'interfaceNames'>): Promise<void>;
}

/** What is missing, for every refusal of an `aws-ipvlan` configuration. */
export const AWS_IPVLAN_MISSING =
  'ipam.mode "aws-ipvlan" is specified but not implemented yet: AWS ENI support (secondary private IPs assigned to the node\'s ENIs through EC2 by the node agent) is a later issue; use the default mode (the node agent) or "host-local"';

/** The answer to ADD and CHECK of an `aws-ipvlan` configuration until the backend exists. */
export function awsIpvlanNotImplemented(): CniFailure {
  return new CniFailure({ code: AWS_IPVLAN_NOT_IMPLEMENTED, msg: AWS_IPVLAN_MISSING });
}

/** STATUS: the plugin cannot serve ADD for this configuration (the spec's code 50), saying why. */
export function awsIpvlanUnavailable(): CniFailure {
  return new CniFailure({ code: CniErrorCode.PluginNotAvailable, msg: AWS_IPVLAN_MISSING });
}

/** DEL and GC of an `aws-ipvlan` configuration: ADD never assigned an address, so there is nothing to undo. */
export const awsIpvlanMode: Pick<CniPlugin, 'add' | 'del' | 'check' | 'gc' | 'status'> = {
  add: () => Promise.reject(awsIpvlanNotImplemented()),
  async del(args, { log }) {
    const previous = (args.prevResult?.ips ?? []).map((ip) => ip.address);
    log.debug(
      'aws-ipvlan mode: DEL has nothing to release (this mode never assigns an address)',
      previous.length === 0 ? {} : { prevResultIps: previous },
    );
  },
  check: () => Promise.reject(awsIpvlanNotImplemented()),
  async gc(_args, { log }) {
    log.debug('aws-ipvlan mode: GC has nothing to collect (this mode never assigns an address)');
  },
  status: () => Promise.reject(awsIpvlanUnavailable()),
};
