import { describe, expect, it } from '@jest/globals';
import { parseConfig } from './config.js';

const files: Record<string, string> = {
  '/etc/agent.json': JSON.stringify({ nodeName: 'from-file', gc: { graceMs: 5000 }, routes: { enabled: false } }),
  '/etc/bad.json': '{"nodeName": "n", "gc": {"graceMs": -1}, "extra": 1}',
};
const readFile = (p: string): string => {
  const text = files[p];
  if (text === undefined) throw new Error(`ENOENT: ${p}`);
  return text;
};

describe('parseConfig', () => {
  it('fills every default from one schema', () => {
    const r = parseConfig({ argv: [], env: { NODE_NAME: 'node1' }, readFile });
    expect(r.ok === true && r.config).toMatchObject({
      nodeName: 'node1',
      socketPath: '/run/multinic/agent.sock',
      stateDir: '/var/lib/multinic',
      metrics: { host: '0.0.0.0', port: 9464 },
      gc: { enabled: true, graceMs: 120000 },
      routes: { enabled: true, tableBase: 1000, rulePriority: 1000, rtTablesDir: '/etc/iproute2' },
    });
  });

  it('flags win over the environment, which wins over the file', () => {
    const r = parseConfig({
      argv: ['--config', '/etc/agent.json', '--socket', '/tmp/a.sock', '--metrics-port', '0'],
      env: { NODE_NAME: 'from-env' },
      readFile,
    });
    expect(
      r.ok === true && [
        r.config.nodeName,
        r.config.socketPath,
        r.config.metrics.port,
        r.config.gc.graceMs,
        r.config.routes.enabled,
      ],
    ).toEqual(['from-env', '/tmp/a.sock', 0, 5000, false]);
    const f = parseConfig({
      argv: ['--config', '/etc/agent.json', '--node-name', 'from-flag'],
      env: { NODE_NAME: 'from-env' },
      readFile,
    });
    expect(f.ok === true && f.config.nodeName).toBe('from-flag');
  });

  it.each([
    { argv: [], env: {}, problem: /^nodeName: is required/ },
    { argv: ['--config', '/etc/bad.json'], env: {}, problem: /gc\.graceMs: must be at least 0|unknown field "extra"/ },
    { argv: ['--config', '/nope.json'], env: {}, problem: /^config file \/nope.json: ENOENT/ },
    { argv: ['--bogus'], env: { NODE_NAME: 'n' }, problem: /Unknown option '--bogus'/ },
    { argv: ['--node-name', 'Bad_Name'], env: {}, problem: /^nodeName: must be a DNS-1123 subdomain/ },
  ])('reports $problem', ({ argv, env, problem }) => {
    const r = parseConfig({ argv, env, readFile });
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.problems.join('\n')).toMatch(problem);
  });

  it('--help asks for the usage', () => {
    expect(parseConfig({ argv: ['--help'], env: {}, readFile }).ok).toBe('help');
  });
});
