import { hostLocalRange } from '@multinic/cidr-core';
import type { HostLocalSettings, RangeSettings, Result } from '@multinic/cidr-core';
import type { Json } from './json.js';

/** A planned pool of this host and interface: where the host-local fallback values come from. */
export interface TemplatePool {
  readonly podCIDR: string;
  readonly vlanCIDR: string;
  readonly excludes?: readonly string[];
  readonly gateway?: string;
}

export interface RenderTemplateInput {
  /** The NetConf template: JSON text with `{{ .variable }}` placeholders. */
  readonly template: string;
  readonly hostName: string;
  readonly interfaceName: string;
  /**
   * Per-host values, most specific wins: `hosts[host].interfaces[interface]` → `hosts[host]` → `defaults`
   * (cidr-core's host-local settings shape).
   */
  readonly hostConfigs?: HostLocalSettings;
  /**
   * The planned pool of this host and interface; cidr-core's host-local range of it provides every value the
   * host configs leave unset.
   */
  readonly pool?: TemplatePool;
}

export interface RenderedTemplate {
  /** The rendered configuration, parsed. */
  readonly config: Json;
  /** The rendered text, exactly as substituted (valid JSON). */
  readonly text: string;
}

const INTERFACE_KEYS = ['subnet', 'rangeStart', 'rangeEnd', 'gateway'] as const;
type InterfaceKey = (typeof INTERFACE_KEYS)[number];

/** The variables a template may use. */
export const TEMPLATE_VARIABLES = [
  '.interfaceName',
  '.hostName',
  ...INTERFACE_KEYS.map((k) => `.host.interface.${k}`),
] as const;

const ACTION = /\{\{-?\s*(.*?)\s*-?\}\}/gs;

/** The value of `key` from the host configs, most specific first. */
function configured(input: RenderTemplateInput, key: InterfaceKey): string | undefined {
  const host = input.hostConfigs?.hosts?.[input.hostName];
  const layers: (RangeSettings | undefined)[] = [
    host?.interfaces?.[input.interfaceName],
    host,
    input.hostConfigs?.defaults,
  ];
  for (const layer of layers) {
    const value = layer?.[key];
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

/** The value of `key` from cidr-core's host-local range of the pool. */
function fromPool(input: RenderTemplateInput, key: InterfaceKey): Result<string | undefined> {
  if (input.pool === undefined) return { ok: true, value: undefined };
  const { gateway, ...pool } = input.pool;
  const range = hostLocalRange({ pool, ...(gateway === undefined ? {} : { gateway }) });
  if (!range.ok)
    return {
      ok: false,
      error: `the host-local range of host ${input.hostName} interface ${input.interfaceName}: ${range.error}`,
    };
  return { ok: true, value: range.value[key] };
}

function position(template: string, offset: number): string {
  const before = template.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

function resolve(input: RenderTemplateInput, variable: string): Result<string> {
  if (variable === '.interfaceName') return { ok: true, value: input.interfaceName };
  if (variable === '.hostName') return { ok: true, value: input.hostName };
  const key = INTERFACE_KEYS.find((k) => variable === `.host.interface.${k}`);
  if (key === undefined) {
    return {
      ok: false,
      error: `unknown template variable {{ ${variable} }}: use one of ${TEMPLATE_VARIABLES.join(', ')}`,
    };
  }
  const given = configured(input, key);
  if (given !== undefined) return { ok: true, value: given };
  const planned = fromPool(input, key);
  if (!planned.ok) return planned;
  const value = planned.value;
  if (value === undefined) {
    return {
      ok: false,
      error:
        `template variable {{ ${variable} }} has no value for host ${input.hostName} interface ${input.interfaceName}: ` +
        `set ${key} in hostConfigs (defaults, hosts.${input.hostName} or hosts.${input.hostName}.interfaces.${input.interfaceName})` +
        (input.pool === undefined ? ', or give the network a subnet so the host-local range provides it' : ''),
    };
  }
  return { ok: true, value };
}

/** A `{{` in literal text means an action that never closed. */
function unterminatedAction(template: string, from: number, to: number): Result<RenderedTemplate> | undefined {
  const stray = template.slice(from, to).indexOf('{{');
  if (stray < 0) return undefined;
  return {
    ok: false,
    error: `unterminated template action "{{" at ${position(template, from + stray)}: close it with "}}"`,
  };
}

/** JSON string escaping without the quotes, so a value placed inside "…" stays one valid JSON string. */
function escape(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

/**
 * Renders a NetConf template (the DRA drivers' per-node template idea). Supported actions are field
 * references only: `{{ .interfaceName }}`, `{{ .hostName }}`, `{{ .host.interface.subnet }}`,
 * `{{ .host.interface.rangeStart }}`, `{{ .host.interface.rangeEnd }}`, `{{ .host.interface.gateway }}`.
 * Values are JSON-string-escaped. An unknown variable, any other action, a missing value or output that is not
 * valid JSON is an error naming it.
 */
export function renderTemplate(input: RenderTemplateInput): Result<RenderedTemplate> {
  let text = '';
  let last = 0;
  for (const match of input.template.matchAll(ACTION)) {
    const variable = match[1] ?? '';
    const where = position(input.template, match.index);
    const unterminated = unterminatedAction(input.template, last, match.index);
    if (unterminated !== undefined) return unterminated;
    if (!/^\.[A-Za-z_][\w.]*$/.test(variable)) {
      return {
        ok: false,
        error: `unsupported template action {{ ${variable} }} at ${where}: only field references such as {{ .interfaceName }} are allowed`,
      };
    }
    const value = resolve(input, variable);
    if (!value.ok) return { ok: false, error: `${value.error} (at ${where})` };
    text += input.template.slice(last, match.index) + escape(value.value);
    last = match.index + match[0].length;
  }
  const unterminated = unterminatedAction(input.template, last, input.template.length);
  if (unterminated !== undefined) return unterminated;
  text += input.template.slice(last);
  try {
    return { ok: true, value: { config: JSON.parse(text) as Json, text } };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      error: `the rendered template is not valid JSON (${reason}); check the quotes around {{ … }} placeholders`,
    };
  }
}
