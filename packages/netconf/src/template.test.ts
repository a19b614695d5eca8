import { describe, expect, it } from '@jest/globals';
import type { HostLocalSettings } from '@multinic/cidr-core';
import { renderTemplate } from './template.js';
import type { RenderTemplateInput } from './template.js';

const TEMPLATE = `{
  "cniVersion": "1.0.0",
  "name": "dra-{{ .interfaceName }}",
  "type": "macvlan",
  "master": "{{.interfaceName}}",
  "ipam": {
    "type": "host-local",
    "ranges": [[{
      "subnet": "{{ .host.interface.subnet }}",
      "rangeStart": "{{ .host.interface.rangeStart }}",
      "rangeEnd": "{{ .host.interface.rangeEnd }}",
      "gateway": "{{ .host.interface.gateway }}"
    }]]
  }
}`;

const hostConfigs: HostLocalSettings = {
  defaults: { subnet: '10.0.0.0/24', gateway: '10.0.0.1', rangeStart: '10.0.0.10', rangeEnd: '10.0.0.20' },
  hosts: {
    node1: { gateway: '10.0.0.254', interfaces: { eth1: { rangeStart: '10.0.0.100', rangeEnd: '10.0.0.110' } } },
  },
};

function render(input: Partial<RenderTemplateInput>): ReturnType<typeof renderTemplate> {
  return renderTemplate({ template: TEMPLATE, hostName: 'node1', interfaceName: 'eth1', hostConfigs, ...input });
}

function range(r: ReturnType<typeof renderTemplate>): unknown {
  if (!r.ok) throw new Error(r.error);
  return (r.value.config as { ipam: { ranges: unknown[][] } }).ipam.ranges[0]?.[0];
}

describe('renderTemplate', () => {
  it.each<{ case: string; host: string; iface: string; expected: Record<string, string> }>`
    case                                    | host       | iface     | expected
    ${'interface beats host beats default'} | ${'node1'} | ${'eth1'} | ${{ subnet: '10.0.0.0/24', rangeStart: '10.0.0.100', rangeEnd: '10.0.0.110', gateway: '10.0.0.254' }}
    ${'host default beats global default'}  | ${'node1'} | ${'eth2'} | ${{ subnet: '10.0.0.0/24', rangeStart: '10.0.0.10', rangeEnd: '10.0.0.20', gateway: '10.0.0.254' }}
    ${'global default only'}                | ${'node2'} | ${'eth1'} | ${{ subnet: '10.0.0.0/24', rangeStart: '10.0.0.10', rangeEnd: '10.0.0.20', gateway: '10.0.0.1' }}
  `('$case', ({ host, iface, expected }) => {
    const r = render({ hostName: host, interfaceName: iface });
    expect(range(r)).toEqual(expected);
    expect(r.ok && (r.value.config as { master: string }).master).toBe(iface);
  });

  it("fills unset values from cidr-core's host-local range of the pool", () => {
    const r = render({
      hostConfigs: { hosts: { node1: { gateway: '192.168.0.254' } } },
      pool: { podCIDR: '192.168.1.0/24', vlanCIDR: '192.168.0.0/18' },
    });
    expect(range(r)).toEqual({
      subnet: '192.168.0.0/18',
      rangeStart: '192.168.1.1',
      rangeEnd: '192.168.1.254',
      gateway: '192.168.0.254',
    });
  });

  it('keeps the text and returns valid JSON', () => {
    const r = render({});
    expect(r.ok && r.value.text).toContain('"master": "eth1"');
    expect(r.ok && JSON.parse(r.value.text)).toEqual(r.ok && r.value.config);
  });

  it('escapes values so they stay inside their JSON string', () => {
    const r = renderTemplate({
      template: '{"master": "{{ .interfaceName }}"}',
      hostName: 'n',
      interfaceName: 'a"b\\c',
    });
    expect(r.ok && r.value.config).toEqual({ master: 'a"b\\c' });
  });

  it.each<{ case: string; input: Partial<RenderTemplateInput>; error: string }>`
    case                     | input                                                                                | error
    ${'unknown variable'}    | ${{ template: '{"a": "{{ .host.interface.mtu }}"}' }}                                | ${'unknown template variable {{ .host.interface.mtu }}: use one of .interfaceName, .hostName, .host.interface.subnet'}
    ${'unsupported action'}  | ${{ template: '{"a": "{{ if .x }}"}' }}                                              | ${'unsupported template action {{ if .x }} at line 1, column 8'}
    ${'missing value'}       | ${{ hostConfigs: { defaults: { subnet: '10.0.0.0/24' } } }}                          | ${'template variable {{ .host.interface.rangeStart }} has no value for host node1 interface eth1: set rangeStart in hostConfigs'}
    ${'not JSON afterwards'} | ${{ template: '{"a": {{ .interfaceName }}}' }}                                       | ${'the rendered template is not valid JSON'}
    ${'unterminated action'} | ${{ template: '{"a": "{{ .interfaceName"}' }}                                        | ${'unterminated template action "{{" at line 1, column 8'}
    ${'bad pool'}            | ${{ hostConfigs: {}, pool: { podCIDR: '10.9.0.0/24', vlanCIDR: '192.168.0.0/18' } }} | ${'the host-local range of host node1 interface eth1: podCIDR 10.9.0.0/24 is not inside vlanCIDR'}
  `('error: $case', ({ input, error }) => {
    const r = render(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(error);
  });

  it('names the place of a missing value in a multi-line template', () => {
    const r = render({
      hostConfigs: { defaults: { subnet: '10.0.0.0/24', rangeStart: '10.0.0.1', rangeEnd: '10.0.0.9' } },
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/\.host\.interface\.gateway .*\(at line 12, column 19\)$/);
  });
});
