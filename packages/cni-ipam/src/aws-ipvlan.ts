// The `aws-ipvlan` IPAM hook: SPECIFIED ONLY. On AWS the addresses of a pod's ipvlan interfaces must be secondary
// private IPs assigned to the node's ENIs through the EC2 API; a later issue implements `AwsIpvlanBackend` (in the
// node agent, which holds the credentials; the plugin stays thin). Until then a configuration that asks for it is
// refused with AWS_IPVLAN_NOT_IMPLEMENTED.
import { CniFailure } from '@multinic/cni-skel';

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

/** The answer to every command of an `aws-ipvlan` configuration until the backend exists. */
export function awsIpvlanNotImplemented(): CniFailure {
  return new CniFailure({
    code: AWS_IPVLAN_NOT_IMPLEMENTED,
    msg: 'ipam.mode "aws-ipvlan" is specified but not implemented yet: use the default mode (the node agent) or "host-local"',
  });
}
