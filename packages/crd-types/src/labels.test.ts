import { describe, expect, it } from '@jest/globals';
import { API_GROUP, HOST_LABEL, INTERFACE_LABEL, NETWORK_LABEL } from './index.js';

describe('labels the controller writes', () => {
  it.each([
    { label: NETWORK_LABEL, name: 'network' },
    { label: HOST_LABEL, name: 'host' },
    { label: INTERFACE_LABEL, name: 'interface' },
  ])('$label is the API group prefix and $name, a valid label key', ({ label, name }) => {
    expect(label).toBe(`${API_GROUP}/${name}`);
    expect(label).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$/);
  });
});
