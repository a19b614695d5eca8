import { describe, expect, it } from '@jest/globals';
import { podNicRequest } from './request.js';

describe('podNicRequest', () => {
  it.each([
    { args: { nics: 2 }, expected: { nics: 2 } },
    { args: { nics: '3' }, expected: { nics: 3 } },
    { args: { masters: 'eth2, eth1' }, expected: { masters: ['eth2', 'eth1'] } },
    { args: { master: ['eth1'] }, expected: { masters: ['eth1'] } },
    { args: { target: '200Gbps', class: 'mlx' }, expected: { target: '200Gbps', class: 'mlx' } },
  ])('cni-args $args → $expected', ({ args, expected }) => {
    expect(podNicRequest(args, undefined)).toEqual({ ok: true, value: expected });
  });

  it.each([
    { args: { nics: 0 }, field: 'nics' },
    { args: { nics: 'two' }, field: 'nics' },
    { args: { masters: [1] }, field: 'masters' },
    { args: { target: 5 }, field: 'target' },
  ])('rejects $args naming $field', ({ args, field }) => {
    const r = podNicRequest(args, undefined);
    expect(!r.ok && r.error.field).toBe(field);
  });

  it('device ids become allocated PCI addresses', () => {
    expect(podNicRequest(undefined, ['0000:3b:00.0'])).toEqual({
      ok: true,
      value: { allocatedPciAddresses: ['0000:3b:00.0'] },
    });
  });
});
