// IPv6 duplicate address detection in a real namespace: settleAddresses waits until the pod's global IPv6 addresses
// are usable (the first ping after ADD must not fail with "Cannot assign requested address"), and fails naming the
// address when DAD finds a duplicate.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addNetns, deleteNetns } from '@multinic/testenv';
import { settleAddresses } from '../src/pod-ip.js';
import { ip } from './lab.js';

const id = randomBytes(3).toString('hex');
const pod = `mn-settle-${id}`;
const peer = `mn-settle-${id}-peer`;
const environ = { PATH: process.env['PATH'] ?? '' };

interface Addr {
  local: string;
  tentative?: boolean;
  dadfailed?: boolean;
}
const addrs = (ns: string, dev: string): Addr[] =>
  (JSON.parse(ip('-n', ns, '-6', '-j', 'addr', 'show', 'dev', dev)) as { addr_info: Addr[] }[])[0]?.addr_info ?? [];

beforeAll(() => {
  addNetns(pod);
  addNetns(peer);
  // net1 in the pod, its peer p1 in the other namespace, which holds fd00:99::1 already (no DAD there).
  ip('-n', pod, 'link', 'add', 'net1', 'type', 'veth', 'peer', 'name', 'p1', 'netns', peer);
  ip('-n', peer, 'addr', 'add', 'fd00:99::1/64', 'dev', 'p1', 'nodad');
  ip('-n', peer, 'link', 'set', 'p1', 'up');
});

afterAll(() => {
  deleteNetns(pod);
  deleteNetns(peer);
});

describe('settleAddresses', () => {
  it('returns once DAD is over: the address was tentative when added and is usable (a ping answers) after', async () => {
    ip('-n', pod, 'addr', 'add', 'fd00:99::2/64', 'dev', 'net1');
    ip('-n', pod, 'link', 'set', 'net1', 'up');
    expect(addrs(pod, 'net1').find((a) => a.local === 'fd00:99::2')?.tentative).toBe(true);
    await settleAddresses(`/run/netns/${pod}`, ['net1'], environ);
    expect(addrs(pod, 'net1').find((a) => a.local === 'fd00:99::2')).toEqual(
      expect.not.objectContaining({ tentative: true }),
    );
    ip('netns', 'exec', pod, 'ping', '-6', '-n', '-q', '-c1', '-W2', 'fd00:99::1');
  }, 20_000);

  it('fails naming the address and interface when DAD finds another holder', async () => {
    ip('-n', pod, 'addr', 'add', 'fd00:99::1/64', 'dev', 'net1');
    await expect(settleAddresses(`/run/netns/${pod}`, ['net1'], environ)).rejects.toThrow(
      'fd00:99::1 on net1: IPv6 duplicate address detection failed (another host on the network holds it)',
    );
    expect(addrs(pod, 'net1').find((a) => a.local === 'fd00:99::1')?.dadfailed).toBe(true);
  }, 20_000);

  it('ignores interfaces it was not asked about', async () => {
    await expect(settleAddresses(`/run/netns/${pod}`, ['net9'], environ)).resolves.toBeUndefined();
  });
});
