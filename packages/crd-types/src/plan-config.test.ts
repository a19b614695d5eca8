import { describe, expect, it } from '@jest/globals';
import { planHostOf } from './plan-config.js';

describe('planHostOf', () => {
  it('keeps the NICs that have an address, named by the HostInterface', () => {
    const host = planHostOf({
      metadata: { name: 'gpu-1' },
      spec: {
        interfaces: [
          { interfaceName: 'eth1', netAddress: '10.0.1.0/24', hostIP: '10.0.1.1' },
          { interfaceName: 'eth2', netAddress: '', hostIP: '' },
          { interfaceName: 'eth3' },
        ],
      },
    });
    expect(host).toEqual({
      hostName: 'gpu-1',
      interfaces: [{ interfaceName: 'eth1', netAddress: '10.0.1.0/24', hostIP: '10.0.1.1' }],
    });
  });

  it('gives a host without a spec no NICs', () => {
    expect(planHostOf({ metadata: { name: 'n' } })).toEqual({ hostName: 'n', interfaces: [] });
  });
});
