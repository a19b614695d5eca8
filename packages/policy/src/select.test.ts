import { describe, expect, it } from '@jest/globals';
import type { AttachPolicy, AttachPolicyAlternative, HostNic } from '@multinic/crd-types';
import fc from 'fast-check';
import { selectNics } from './select.js';
import { names, nic } from './testing/fixtures.js';
import type { NicSelection, PodNicRequest, PolicyError, SelectNicsInput } from './types.js';

function ok(input: SelectNicsInput): NicSelection {
  const result = selectNics(input);
  if (!result.ok) throw new Error(`expected a selection, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

function err(input: SelectNicsInput): PolicyError {
  const result = selectNics(input);
  if (result.ok) throw new Error(`expected an error, got ${names(result.value.chosen).join(',')}`);
  return result.error;
}

function run(hostNics: HostNic[], attachPolicy: AttachPolicy, request: PodNicRequest = {}, masterNets?: string[]) {
  return { hostNics, network: { attachPolicy, ...(masterNets === undefined ? {} : { masterNets }) }, request };
}

const four = [
  nic('eth10', { netAddress: '10.3.0.0/16' }),
  nic('eth2', { netAddress: '10.2.0.0/16' }),
  nic('eth1', { netAddress: '10.1.0.0/16' }),
  nic('eth3', { netAddress: '10.1.0.0/16' }),
];

describe('strategy none', () => {
  it.each<{ masterNets?: string[]; request: PodNicRequest; chosen: string[] }>`
    case                                     | masterNets                        | request                                            | chosen
    ${'all NICs in natural name order'}      | ${undefined}                      | ${{}}                                              | ${['eth1', 'eth2', 'eth3', 'eth10']}
    ${'masterNets order, then name'}         | ${['10.3.0.0/16', '10.1.0.0/16']} | ${{}}                                              | ${['eth10', 'eth1', 'eth3']}
    ${'the pod masters in the pod order'}    | ${undefined}                      | ${{ masters: ['eth3', 'eth1'] }}                   | ${['eth3', 'eth1']}
    ${'truncated to nics'}                   | ${undefined}                      | ${{ nics: 2 }}                                     | ${['eth1', 'eth2']}
    ${'masters truncated to nics'}           | ${undefined}                      | ${{ masters: ['eth10', 'eth2', 'eth1'], nics: 2 }} | ${['eth10', 'eth2']}
    ${'two NICs on one subnet are distinct'} | ${['10.1.0.0/16']}                | ${{}}                                              | ${['eth1', 'eth3']}
  `('$case', ({ masterNets, request, chosen }) => {
    const selection = ok(run(four, { strategy: 'none' }, request, masterNets));
    expect(names(selection.chosen)).toEqual(chosen);
    expect(selection.strategy).toBe('none');
    expect(selection.deviceAllocated).toBe(false);
  });

  it('gives a reason for every NIC not chosen, in name order', () => {
    const selection = ok(
      run(four, { strategy: 'none', nics: 1 }, { masters: ['eth3', 'eth1'] }, ['10.1.0.0/16', '10.2.0.0/16']),
    );
    expect(names(selection.chosen)).toEqual(['eth3']);
    expect(selection.notChosen.map((r) => [r.interfaceName, r.code])).toEqual([
      ['eth1', 'nic-limit'],
      ['eth2', 'not-requested'],
      ['eth10', 'not-in-master-nets'],
    ]);
    expect(selection.notChosen[0]?.message).toContain("ranked #2 (the pod's masters order)");
    expect(selection.notChosen[2]?.message).toContain('10.3.0.0/16 is not in the network');
  });

  it('matches a NIC to masterNets by any of its addresses: an IPv6 master network picks the NICs with an address on it', () => {
    const dual = [
      nic('eth1', { netAddress: '10.1.0.0/16', addresses: ['10.1.0.1/16', 'fd01::1/64'] }),
      nic('eth2', { netAddress: '10.2.0.0/16', addresses: ['10.2.0.1/16', 'fd02::1/64'] }),
      nic('eth3', { netAddress: '10.3.0.0/16', addresses: ['10.3.0.1/16'] }),
      nic('ib0', { netAddress: 'fd04::/64', hostIP: 'fd04::1', addresses: ['fd04::1/64'] }),
    ];
    const selection = ok(run(dual, { strategy: 'none' }, {}, ['fd04:0::/64', 'fd02::/64', '10.1.0.0/16']));
    expect(names(selection.chosen)).toEqual(['ib0', 'eth2', 'eth1']);
    expect(selection.notChosen.map((r) => [r.interfaceName, r.code, r.message])).toEqual([
      [
        'eth3',
        'not-in-master-nets',
        "its network 10.3.0.0/16 is not in the network's masterNets [fd04:0::/64, fd02::/64, 10.1.0.0/16]",
      ],
    ]);
    const none = err(run(dual, { strategy: 'none' }, {}, ['fd03::/64']));
    expect(none.message).toContain(
      "eth1: none of its networks 10.1.0.0/16, fd01::/64 is in the network's masterNets [fd03::/64]",
    );
  });

  it('treats a missing attach policy as none', () => {
    expect(names(ok({ hostNics: four, network: {} }).chosen)).toEqual(['eth1', 'eth2', 'eth3', 'eth10']);
  });

  it('the pod nics override the policy nics', () => {
    expect(names(ok(run(four, { strategy: 'none', nics: 1 }, { nics: 3 })).chosen)).toEqual(['eth1', 'eth2', 'eth3']);
  });
});

describe('errors', () => {
  it('too few NICs names what was asked and what exists', () => {
    const error = err(run(four, { strategy: 'none', nics: 3 }, {}, ['10.1.0.0/16']));
    expect(error.code).toBe('too-few-nics');
    expect(error.message).toContain('strategy none asked for 3 NICs');
    expect(error.message).toContain("only 2 of the host's 4 NICs qualify (eth1, eth3)");
    expect(error.message).toContain('eth2: its network 10.2.0.0/16 is not in');
    expect(error.notChosen?.map((r) => r.interfaceName)).toEqual(['eth2', 'eth10']);
  });

  it('no NIC at all is too few', () => {
    const error = err(run([], { strategy: 'none' }));
    expect(error.code).toBe('too-few-nics');
    expect(error.message).toContain("asked for at least 1 NIC, but none of the host's 0 NICs qualifies");
  });

  it.each<{ hostNics: HostNic[]; policy: AttachPolicy; request: PodNicRequest; code: string; fragment: string }>`
    case                           | hostNics                                   | policy                             | request                  | code                     | fragment
    ${'duplicate interface names'} | ${[nic('eth1'), nic('eth2'), nic('eth1')]} | ${{ strategy: 'none' }}            | ${{}}                    | ${'duplicate-interface'} | ${'NIC eth1 more than once'}
    ${'unknown master'}            | ${four}                                    | ${{ strategy: 'none' }}            | ${{ masters: ['eth9'] }} | ${'unknown-master'}      | ${'no such NIC (it has: eth1, eth2, eth3, eth10)'}
    ${'zero nics'}                 | ${four}                                    | ${{ strategy: 'none' }}            | ${{ nics: 0 }}           | ${'invalid-argument'}    | ${'nics must be a positive whole number, got 0'}
    ${'fractional nics'}           | ${four}                                    | ${{ strategy: 'none', nics: 1.5 }} | ${{}}                    | ${'invalid-argument'}    | ${'got 1.5'}
    ${'unknown strategy'}          | ${four}                                    | ${{ strategy: 'fastest' }}         | ${{}}                    | ${'unknown-strategy'}    | ${'"fastest": use one of none, nicClass'}
  `('$case', ({ hostNics, policy, request, code, fragment }) => {
    const error = err(run(hostNics, policy, request));
    expect(error.code).toBe(code);
    expect(error.message).toContain(fragment);
  });

  it('a master excluded by masterNets says why', () => {
    const error = err(run(four, { strategy: 'none' }, { masters: ['eth2'] }, ['10.1.0.0/16']));
    expect(error.code).toBe('unknown-master');
    expect(error.message).toContain('eth2, but it cannot be used: its network 10.2.0.0/16 is not in');
  });
});

describe('device-allocated NICs', () => {
  const pci = [
    nic('eth1', { pciAddress: '0000:3b:00.0', speedMbps: 25_000 }),
    nic('eth2', { pciAddress: '0000:5e:00.1', speedMbps: 100_000 }),
    nic('eth3', { pciAddress: '0000:af:00.0', speedMbps: 100_000 }),
    nic('eth4'),
  ];

  it('short-circuit every strategy, in allocation order', () => {
    const selection = ok(
      run(pci, { strategy: 'perfOpt', nics: 1 }, { allocatedPciAddresses: ['0000:AF:00.0', '3b:00.0'] }, [
        '10.9.0.0/16',
      ]),
    );
    expect(names(selection.chosen)).toEqual(['eth3', 'eth1']);
    expect(selection.deviceAllocated).toBe(true);
    expect(selection.notChosen.map((r) => [r.interfaceName, r.code])).toEqual([
      ['eth2', 'not-device-allocated'],
      ['eth4', 'not-device-allocated'],
    ]);
  });

  it('an allocated device the host does not have is an error naming it', () => {
    const error = err(run(pci, { strategy: 'none' }, { allocatedPciAddresses: ['0000:01:00.0'] }));
    expect(error.code).toBe('unknown-device');
    expect(error.message).toContain('PCI device 0000:01:00.0');
    expect(error.message).toContain('eth1=0000:3b:00.0');
  });
});

describe('strategy nicClass', () => {
  const nics = [
    nic('eth1', { vendor: '0x15b3', product: '0x101d' }),
    nic('eth2', { vendor: '8086', product: '159b' }),
    nic('eth3', { vendor: '15B3', product: '1017' }),
    nic('eth4'),
  ];
  const classes = new Map([
    ['cx6dx', { vendor: '15b3', products: ['101d'] }],
    ['mellanox', { vendor: '0x15B3', products: [] }],
    ['intel', { vendor: '8086', products: ['159b'] }],
  ]);
  const lookup = (name: string) => classes.get(name);

  it.each<{ policyClass: string; podClass?: string; chosen: string[] }>`
    policyClass   | podClass     | chosen
    ${'cx6dx'}    | ${undefined} | ${['eth1']}
    ${'mellanox'} | ${undefined} | ${['eth1', 'eth3']}
    ${'cx6dx'}    | ${'intel'}   | ${['eth2']}
  `('class $policyClass (pod: $podClass) → $chosen', ({ policyClass, podClass, chosen }) => {
    const request = podClass === undefined ? {} : { class: podClass };
    const selection = ok({ ...run(nics, { strategy: 'nicClass', class: policyClass }, request), nicClasses: lookup });
    expect(names(selection.chosen)).toEqual(chosen);
  });

  it('explains the mismatch and the NIC without PCI identity', () => {
    const selection = ok({ ...run(nics, { strategy: 'nicClass', class: 'cx6dx' }), nicClasses: lookup });
    expect(selection.notChosen).toEqual([
      {
        interfaceName: 'eth2',
        code: 'class-mismatch',
        message: 'PCI 8086:159b does not match NicClass cx6dx (vendor 15b3 product 101d)',
      },
      {
        interfaceName: 'eth3',
        code: 'class-mismatch',
        message: 'PCI 15B3:1017 does not match NicClass cx6dx (vendor 15b3 product 101d)',
      },
      {
        interfaceName: 'eth4',
        code: 'no-pci-identity',
        message: 'has no PCI vendor/product, so it cannot match NicClass cx6dx',
      },
    ]);
  });

  it.each<{ policy: AttachPolicy; code: string; fragment: string }>`
    policy                                               | code                  | fragment
    ${{ strategy: 'nicClass' }}                          | ${'missing-argument'} | ${'needs a class'}
    ${{ strategy: 'nicClass', class: 'nope' }}           | ${'unknown-class'}    | ${'NicClass "nope" does not exist'}
    ${{ strategy: 'nicClass', class: 'intel', nics: 2 }} | ${'too-few-nics'}     | ${'eth1: PCI 0x15b3:0x101d does not match NicClass intel'}
  `('$code', ({ policy, code, fragment }) => {
    const error = err({ ...run(nics, policy), nicClasses: lookup });
    expect(error.code).toBe(code);
    expect(error.message).toContain(fragment);
  });
});

describe('strategy topology', () => {
  const nics = [
    nic('eth1', { numaNode: 0 }),
    nic('eth2', { numaNode: 0 }),
    nic('eth3', { numaNode: 0 }),
    nic('eth4', { numaNode: 1 }),
    nic('eth5', { numaNode: 1 }),
    nic('eth6', { numaNode: 2 }),
    nic('eth7'),
  ];

  it.each<{ gpus: number[]; nics?: number; chosen: string[] }>`
    gpus            | nics         | chosen
    ${[]}           | ${undefined} | ${['eth1', 'eth2', 'eth3', 'eth4', 'eth5', 'eth6', 'eth7']}
    ${[1]}          | ${undefined} | ${['eth4', 'eth5', 'eth1', 'eth2', 'eth3', 'eth6', 'eth7']}
    ${[0, 1]}       | ${2}         | ${['eth1', 'eth4']}
    ${[1, 0]}       | ${4}         | ${['eth1', 'eth4', 'eth2', 'eth5']}
    ${[0, 0, 1]}    | ${3}         | ${['eth1', 'eth2', 'eth4']}
    ${[0, 0, 0, 1]} | ${4}         | ${['eth1', 'eth2', 'eth3', 'eth4']}
    ${[2, 1, 1]}    | ${undefined} | ${['eth4', 'eth5', 'eth6', 'eth1', 'eth2', 'eth3', 'eth7']}
  `('GPUs on $gpus, nics $nics → $chosen', ({ gpus, nics: count, chosen }) => {
    const request = { gpuNumaNodes: gpus, ...(count === undefined ? {} : { nics: count }) };
    expect(names(ok(run(nics, { strategy: 'topology' }, request)).chosen)).toEqual(chosen);
  });
});

describe('strategy perfOpt', () => {
  const nics = [
    nic('eth1', { speedMbps: 25_000, numaNode: 0 }),
    nic('eth2', { speedMbps: 100_000, numaNode: 0 }),
    nic('eth3', { speedMbps: 100_000, numaNode: 1 }),
    nic('eth4', { numaNode: 1 }),
    nic('eth5', { speedMbps: 200_000 }),
  ];

  it.each<{ gpus: number[]; count?: number; chosen: string[] }>`
    case                              | gpus      | count        | chosen
    ${'fastest first, ties by name'}  | ${[]}     | ${undefined} | ${['eth5', 'eth2', 'eth3', 'eth1', 'eth4']}
    ${'equal speed: GPU-local first'} | ${[1]}    | ${3}         | ${['eth5', 'eth3', 'eth2']}
    ${'NUMA only breaks speed ties'}  | ${[0, 0]} | ${2}         | ${['eth5', 'eth2']}
    ${'up to nics'}                   | ${[]}     | ${1}         | ${['eth5']}
  `('$case', ({ gpus, count, chosen }) => {
    const request = { gpuNumaNodes: gpus, ...(count === undefined ? {} : { nics: count }) };
    expect(names(ok(run(nics, { strategy: 'perfOpt' }, request)).chosen)).toEqual(chosen);
  });

  it.each<{ target: string; count?: number; chosen: string[] }>`
    target    | count        | chosen
    ${'200G'} | ${undefined} | ${['eth5']}
    ${'250G'} | ${undefined} | ${['eth5', 'eth2']}
    ${'400G'} | ${3}         | ${['eth5', 'eth2', 'eth3']}
  `('with target $target: the fastest NICs until it is reached → $chosen', ({ target, count, chosen }) => {
    const request = count === undefined ? {} : { nics: count };
    const selection = ok(run(nics, { strategy: 'perfOpt', target }, request));
    expect(names(selection.chosen)).toEqual(chosen);
    expect(new Set(selection.notChosen.map((r) => r.code))).toEqual(new Set(['target-reached']));
  });

  it.each<{ target: string; count?: number; code: string; fragment: string }>`
    target    | count        | code                    | fragment
    ${'1T'}   | ${undefined} | ${'target-unreachable'} | ${'target 1T is more than all usable NICs together (425Gbps)'}
    ${'300G'} | ${1}         | ${'too-few-nics'}       | ${'needs the 2 fastest NICs, but the pod allows only 1'}
    ${'fast'} | ${undefined} | ${'invalid-argument'}   | ${'target "fast" is not a bandwidth'}
  `('with target $target and nics $count: $code', ({ target, count, code, fragment }) => {
    const request = count === undefined ? {} : { nics: count };
    const error = err(run(nics, { strategy: 'perfOpt', target }, request));
    expect(error.code).toBe(code);
    expect(error.message).toContain(fragment);
  });

  it('too few NICs for perfOpt', () => {
    const error = err(run(nics, { strategy: 'perfOpt', nics: 6 }));
    expect(error.message).toContain('strategy perfOpt asked for 6 NICs');
  });
});

describe('strategy costOpt', () => {
  const g = (n: number) => n * 1000;
  it.each<{ speeds: number[]; target: string; gpus: number[]; chosen: string[] }>`
    case                                             | speeds                | target         | gpus   | chosen
    ${'one NIC suffices: the fastest is not needed'} | ${[100, 100, 200]}    | ${'100G'}      | ${[]}  | ${['eth1']}
    ${'exactly one NIC reaches it'}                  | ${[100, 100, 200]}    | ${'200Gbps'}   | ${[]}  | ${['eth3']}
    ${'fewest NICs beats least excess'}              | ${[100, 100, 400]}    | ${'200G'}      | ${[]}  | ${['eth3']}
    ${'fewest NICs, then least excess'}              | ${[100, 100, 25, 50]} | ${'125G'}      | ${[]}  | ${['eth1', 'eth3']}
    ${'equal sums: fewer of the fastest'}            | ${[40, 25, 25, 10]}   | ${'50G'}       | ${[]}  | ${['eth2', 'eth3']}
    ${'equal speeds: by name'}                       | ${[25, 25, 25]}       | ${'50000Mbps'} | ${[]}  | ${['eth1', 'eth2']}
    ${'equal speeds: GPU-local first'}               | ${[25, 25, 25]}       | ${'50G'}       | ${[1]} | ${['eth2', 'eth1']}
    ${'chosen fastest first'}                        | ${[25, 100, 25]}      | ${'125G'}      | ${[]}  | ${['eth2', 'eth1']}
  `('$case', ({ speeds, target, gpus, chosen }) => {
    const nics = speeds.map((s, i) => nic(`eth${i + 1}`, { speedMbps: g(s), numaNode: i % 2 }));
    const selection = ok(run(nics, { strategy: 'costOpt', target }, { gpuNumaNodes: gpus }));
    expect(names(selection.chosen)).toEqual(chosen);
    expect(selection.notChosen.every((r) => r.code === 'target-reached')).toBe(true);
  });

  it('the pod target overrides the policy target; unknown speeds are reasons', () => {
    const nics = [nic('eth1', { speedMbps: g(100) }), nic('eth2', { speedMbps: g(200) }), nic('eth3')];
    const selection = ok(run(nics, { strategy: 'costOpt', target: '100G' }, { target: '200G' }));
    expect(names(selection.chosen)).toEqual(['eth2']);
    expect(selection.notChosen.map((r) => [r.interfaceName, r.code])).toEqual([
      ['eth1', 'target-reached'],
      ['eth3', 'speed-unknown'],
    ]);
    expect(selection.notChosen[0]?.message).toBe(
      'not needed: eth2 (200Gbps) already reaches 200G with the fewest NICs and the least spare speed',
    );
  });

  it.each<{ policy: AttachPolicy; code: string; fragment: string }>`
    case              | policy                                              | code                    | fragment
    ${'no target'}    | ${{ strategy: 'costOpt' }}                          | ${'missing-argument'}   | ${'needs a target'}
    ${'bad target'}   | ${{ strategy: 'costOpt', target: '200' }}           | ${'invalid-argument'}   | ${'target "200" is not a bandwidth'}
    ${'unreachable'}  | ${{ strategy: 'costOpt', target: '1T' }}            | ${'target-unreachable'} | ${'target 1T is more than all usable NICs together (300Gbps: eth1=100Gbps, eth2=200Gbps)'}
    ${'nics too low'} | ${{ strategy: 'costOpt', target: '300G', nics: 1 }} | ${'too-few-nics'}       | ${'needs at least 2 NICs'}
  `('$case', ({ policy, code, fragment }) => {
    const nics = [nic('eth1', { speedMbps: g(100) }), nic('eth2', { speedMbps: g(200) }), nic('eth3')];
    const error = err(run(nics, policy));
    expect(error.code).toBe(code);
    expect(error.message).toContain(fragment);
  });
});

describe('strategy selector', () => {
  const nics = [
    nic('eth1', { speedMbps: 100_000, numaNode: 0, driver: 'mlx5_core' }),
    nic('eth2', { speedMbps: 100_000, numaNode: 1, driver: 'mlx5_core' }),
    nic('eth3', { speedMbps: 25_000, numaNode: 0, driver: 'ice' }),
    nic('eth4', { speedMbps: 200_000 }),
  ];

  it.each<{ selector: string; chosen: string[] }>`
    selector                                                                                    | chosen
    ${'nic.speedMbps >= 100000 && has(nic.numaNode) && nic.numaNode == 0'}                      | ${['eth1']}
    ${'has(nic.driver) && nic.driver == "mlx5_core"'}                                           | ${['eth1', 'eth2']}
    ${'nic.interfaceName.startsWith("eth") && nic.speedMbps > 50000'}                           | ${['eth1', 'eth2', 'eth4']}
    ${'nic.netAddress == "10.0.0.0/16"'}                                                        | ${['eth1', 'eth2', 'eth3', 'eth4']}
    ${'type(nic.speedMbps) == int && [0, 1].exists(n, has(nic.numaNode) && nic.numaNode == n)'} | ${['eth1', 'eth2', 'eth3']}
    ${'[0].exists(n, has(nic.numaNode) && nic.numaNode == n)'}                                  | ${['eth1', 'eth3']}
  `('$selector → $chosen', ({ selector, chosen }) => {
    expect(names(ok(run(nics, { strategy: 'selector', selector })).chosen)).toEqual(chosen);
  });

  it('gives selector-false reasons', () => {
    const selection = ok(run(nics, { strategy: 'selector', selector: 'nic.speedMbps > 150000' }));
    expect(selection.notChosen.map((r) => r.code)).toEqual(['selector-false', 'selector-false', 'selector-false']);
    expect(selection.notChosen[0]?.message).toBe('selector "nic.speedMbps > 150000" is false for it');
  });

  it.each<{ selector: string; code: string; fragment: string }>`
    case                   | selector                                          | code                  | fragment
    ${'syntax error'}      | ${'nic.speedMbps >= '}                            | ${'cel-compile'}      | ${'selector "nic.speedMbps >= " does not compile'}
    ${'missing attribute'} | ${'nic.speedMbps >= 100000 && nic.numaNode == 0'} | ${'cel-eval'}         | ${'failed on NIC eth4: field not found: numaNode (this NIC lacks that attribute: guard it with has(nic.<attribute>))'}
    ${'type error'}        | ${'nic.speedMbps + "x"'}                          | ${'cel-eval'}         | ${'failed on NIC eth1'}
    ${'not a bool'}        | ${'nic.speedMbps'}                                | ${'cel-eval'}         | ${'returned int for NIC eth1; it must return a bool'}
    ${'unknown variable'}  | ${'gpu.count > 1 || [1].all(x, x > y)'}           | ${'cel-compile'}      | ${'uses unknown variable gpu, y: the only variable is nic'}
    ${'unknown attribute'} | ${'nic.speed > 1 && has(nic.numa)'}               | ${'cel-compile'}      | ${'reads unknown NIC attribute numa, speed: use one of interfaceName, netAddress'}
    ${'empty'}             | ${' '}                                            | ${'missing-argument'} | ${'needs attachPolicy.selector'}
  `('$case', ({ selector, code, fragment }) => {
    const error = err(run(nics, { strategy: 'selector', selector }));
    expect(error.code).toBe(code);
    expect(error.message).toContain(fragment);
  });
});

describe('strategy firstAvailable', () => {
  const nics = [
    nic('eth1', { speedMbps: 100_000, numaNode: 0 }),
    nic('eth2', { speedMbps: 25_000, numaNode: 1 }),
    nic('eth3', { speedMbps: 25_000, numaNode: 1 }),
  ];

  it('the first satisfiable alternative wins and the result says which', () => {
    const selection = ok(
      run(nics, {
        strategy: 'firstAvailable',
        alternatives: [
          { strategy: 'selector', selector: 'nic.speedMbps >= 200000' },
          { strategy: 'perfOpt', nics: 2 },
          { strategy: 'none' },
        ],
      }),
    );
    expect(selection.alternative).toBe(1);
    expect(selection.strategy).toBe('perfOpt');
    expect(names(selection.chosen)).toEqual(['eth1', 'eth2']);
  });

  it('an alternative that is itself firstAvailable is rejected, and the next one wins', () => {
    const nested = {
      strategy: 'firstAvailable',
      alternatives: [{ strategy: 'none' }],
    } as unknown as AttachPolicyAlternative;
    const selection = ok(
      run(nics, { strategy: 'firstAvailable', alternatives: [nested, { strategy: 'none', nics: 1 }] }),
    );
    expect(selection.alternative).toBe(1);
  });

  it('no satisfiable alternative is an error that lists each', () => {
    const error = err(
      run(nics, {
        strategy: 'firstAvailable',
        alternatives: [
          { strategy: 'costOpt', target: '1T' },
          { strategy: 'selector', selector: '(' },
        ],
      }),
    );
    expect(error.code).toBe('no-alternative');
    expect(error.alternatives?.map((e) => e.code)).toEqual(['target-unreachable', 'cel-compile']);
    expect(error.message).toContain('none of the 2 alternatives can be satisfied. #0 (costOpt): ');
    expect(error.message).toContain(' | #1 (selector): selector "(" does not compile');
  });

  it('an empty list is an error', () => {
    expect(err(run(nics, { strategy: 'firstAvailable', alternatives: [] })).code).toBe('missing-argument');
  });

  it('the pod nics apply to every alternative', () => {
    const policy: AttachPolicy = {
      strategy: 'firstAvailable',
      alternatives: [
        { strategy: 'none', nics: 4 },
        { strategy: 'none', nics: 3 },
      ],
    };
    const selection = ok(run(nics, policy, { nics: 1 }));
    expect(selection.alternative).toBe(0);
    expect(names(selection.chosen)).toEqual(['eth1']);
  });
});

describe('laws', () => {
  const policies: AttachPolicy[] = [
    { strategy: 'none' },
    { strategy: 'topology' },
    { strategy: 'perfOpt' },
    { strategy: 'costOpt', target: '100G' },
    { strategy: 'selector', selector: 'has(nic.speedMbps) && nic.speedMbps >= 25000' },
  ];
  const hostNic = fc
    .record({
      interfaceName: fc.constantFrom('eth0', 'eth1', 'eth2', 'eth10', 'ens3f0', 'ens3f1', 'ib0'),
      netAddress: fc.constantFrom('10.0.0.0/16', '10.1.0.0/16'),
      hostIP: fc.constant('10.0.0.1'),
      speedMbps: fc.option(fc.constantFrom(10_000, 25_000, 100_000, 200_000), { nil: undefined }),
      numaNode: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
    })
    .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as unknown as HostNic);
  const host = fc.uniqueArray(hostNic, { selector: (n) => n.interfaceName, maxLength: 7 });
  const input = fc.record({
    hostNics: host,
    policy: fc.constantFrom(...policies),
    nics: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
    gpus: fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 4 }),
    masterNets: fc.constantFrom([], ['10.1.0.0/16'], ['10.1.0.0/16', '10.0.0.0/16']),
  });
  const toInput = (i: {
    hostNics: HostNic[];
    policy: AttachPolicy;
    nics: number | undefined;
    gpus: number[];
    masterNets: readonly string[];
  }): SelectNicsInput => ({
    hostNics: i.hostNics,
    network: { masterNets: i.masterNets, attachPolicy: i.policy },
    request: { gpuNumaNodes: i.gpus, ...(i.nics === undefined ? {} : { nics: i.nics }) },
  });

  it('every host NIC is either chosen or has exactly one reason; chosen has no duplicates', () => {
    fc.assert(
      fc.property(input, (i) => {
        const result = selectNics(toInput(i));
        if (!result.ok) return;
        const all = [...names(result.value.chosen), ...result.value.notChosen.map((r) => r.interfaceName)];
        expect([...all].sort()).toEqual(names(i.hostNics).sort());
        if (i.nics !== undefined && i.policy.strategy !== 'costOpt') expect(result.value.chosen).toHaveLength(i.nics);
      }),
    );
  });

  it('the result does not depend on the order the host lists its NICs in', () => {
    fc.assert(
      fc.property(input, fc.func(fc.integer()), (i, key) => {
        const shuffled = [...i.hostNics].sort((a, b) => key(a.interfaceName) - key(b.interfaceName));
        expect(selectNics(toInput({ ...i, hostNics: shuffled }))).toEqual(selectNics(toInput(i)));
      }),
    );
  });
});
