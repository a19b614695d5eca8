import { describe, expect, it } from '@jest/globals';
import type { AllocateFailureCode, AllocateInput, PoolSpec } from '../ipam/store.js';
import { AllocationStore } from '../ipam/store.js';
import { ALLOCATE_FAILURE_ANSWERS, allocateFailureAnswer } from './api.js';

const eth1: PoolSpec = {
  name: 'net-a-node1-eth1',
  network: 'net-a',
  interfaceName: 'eth1',
  podCIDR: '10.0.0.0/30',
  vlanCIDR: '10.0.0.0/24',
  excludes: [],
};

function request(containerID: string, extra: Partial<AllocateInput> = {}): AllocateInput {
  return {
    network: 'net-a',
    containerID,
    ifname: 'net1',
    pod: { name: `pod-${containerID}`, namespace: 'default', uid: `uid-${containerID}` },
    nics: [{ interfaceName: 'eth1', podInterface: 'net1-0' }],
    ...extra,
  };
}

/** A store whose only pool (10.0.0.1-2) holds 10.0.0.1 for container `held`. */
function store(): AllocationStore {
  const s = new AllocationStore();
  s.setPools([eth1]);
  expect(s.allocate(request('held', { ips: ['10.0.0.1'] }), 0).ok).toBe(true);
  return s;
}

describe('the wire answer of a refused allocation', () => {
  // The status and CNI code of each refusal, as the CNI plugins and the e2e tests expect them.
  it.each<{
    case: string;
    input: Partial<AllocateInput> & { containerID?: string };
    code: AllocateFailureCode;
    status: number;
    cniCode: number;
    field: string;
    msg: string;
  }>([
    {
      case: 'unknown NIC',
      input: { nics: [{ interfaceName: 'eth9', podInterface: 'net1-0' }] },
      code: 'NOT_READY',
      status: 503,
      cniCode: 11,
      field: 'nics[0].interfaceName',
      msg: "no IPPool of network net-a for NIC eth9 on this node (pools exist for: eth1); the controller may not have planned it yet: try again, or check the MultiNicNetwork's status",
    },
    {
      case: 'repeat with other NICs',
      input: { containerID: 'held', nics: [{ interfaceName: 'eth2', podInterface: 'net1-0' }] },
      code: 'CONFLICT',
      status: 409,
      cniCode: 7,
      field: 'nics[0].interfaceName',
      msg: 'container held net1 already holds addresses on other NICs (eth1=10.0.0.1); release it (CNI DEL) before adding it with a different set of NICs',
    },
    {
      case: 'repeat asking another address',
      input: { containerID: 'held', ips: ['10.0.0.2'] },
      code: 'ADDRESS_MISMATCH',
      status: 409,
      cniCode: 101,
      field: 'ips[0]',
      msg: 'container held net1 already holds 10.0.0.1, not the requested 10.0.0.2; release it first',
    },
    {
      case: 'another pod reusing the container ID',
      input: { containerID: 'held', pod: { name: 'intruder', namespace: 'default', uid: 'uid-other' } },
      code: 'CONFLICT',
      status: 409,
      cniCode: 7,
      field: 'pod.uid',
      msg: "container held net1 belongs to pod default/pod-held (uid uid-held), not to default/intruder (uid uid-other); a container ID is one pod's: release the other attachment (CNI DEL) first",
    },
    {
      case: 'a whole-NIC (host-device) attachment on a NIC another pod holds',
      input: { containerID: 'hd', exclusive: true },
      code: 'NIC_IN_USE',
      status: 409,
      cniCode: 11,
      field: 'nics[0].interfaceName',
      msg: "NIC eth1 is in use by pod default/pod-held (network net-a), and network net-a's delegate takes the whole NIC; nothing was allocated: try again (the next select picks a free NIC) or free the NIC",
    },
    {
      case: 'not an address',
      input: { ips: ['10.0.0.x'] },
      code: 'INVALID_ADDRESS',
      status: 400,
      cniCode: 6,
      field: 'ips[0]',
      msg: '"10.0.0.x" is not an IP address: "10.0.0.x" is not a valid IPv4 address: unexpected character "x": IPv4 is four decimal octets like 192.168.0.1 (no hex, no octal)',
    },
    {
      case: 'outside the block',
      input: { ips: ['10.0.5.5'] },
      code: 'OUT_OF_BLOCK',
      status: 409,
      cniCode: 101,
      field: 'ips[0]',
      msg: "requested address 10.0.5.5 is in none of the selected NICs' pod blocks on this node (eth1 10.0.0.0/30); request an address of one of them or let the agent choose",
    },
    {
      case: 'two for one NIC',
      input: { ips: ['10.0.0.2', '10.0.0.1'] },
      code: 'ONE_ADDRESS_PER_NIC',
      status: 422,
      cniCode: 7,
      field: 'ips[1]',
      msg: 'requested addresses 10.0.0.2 and 10.0.0.1 both fall in the pod block of NIC eth1: one address per NIC',
    },
    {
      case: 'taken',
      input: { ips: ['10.0.0.1'] },
      code: 'ADDRESS_UNAVAILABLE',
      status: 409,
      cniCode: 101,
      field: 'ips[0]',
      msg: 'requested address cannot be given on NIC eth1: 10.0.0.1 is already allocated in pool 10.0.0.0/30; nothing was allocated',
    },
    {
      case: 'exhausted',
      input: {},
      code: 'EXHAUSTED',
      status: 409,
      cniCode: 100,
      field: 'nics[0].interfaceName',
      msg: "no free address on NIC eth1: pool 10.0.0.0/30 is exhausted: every usable address is allocated or reserved; nothing was allocated (release unused pods or widen the network's hostBlock)",
    },
  ])('$case: $code is HTTP $status with CNI code $cniCode', ({ input, code, status, cniCode, field, msg }) => {
    const s = store();
    if (code === 'EXHAUSTED') expect(s.allocate(request('fill'), 0).ok).toBe(true);
    const out = s.allocate(request(input.containerID ?? 'new', input), 0);
    expect(out.ok ? undefined : out.code).toBe(code);
    expect(out.ok ? undefined : allocateFailureAnswer(out)).toEqual({ status, error: { code: cniCode, field, msg } });
  });

  it('answers every store code (the table has no gap)', () => {
    const codes: AllocateFailureCode[] = [
      'NOT_READY',
      'CONFLICT',
      'ADDRESS_MISMATCH',
      'INVALID_ADDRESS',
      'OUT_OF_BLOCK',
      'ONE_ADDRESS_PER_NIC',
      'ADDRESS_UNAVAILABLE',
      'EXHAUSTED',
      'NIC_IN_USE',
    ];
    expect(Object.keys(ALLOCATE_FAILURE_ANSWERS).sort()).toEqual([...codes].sort());
    for (const code of codes) expect(ALLOCATE_FAILURE_ANSWERS[code].status).toBeGreaterThanOrEqual(400);
  });
});
