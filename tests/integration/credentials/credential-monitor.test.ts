/**
 * The workers' hourly credentials checks: a refusal marks the channel failing for /readyz, a
 * success clears it, an expiry within a week is warned of, each result is an event and is kept
 * in Redis, and one process per interval asks the platform. Real: Redis, the Facebook channel's
 * Graph client over HTTP. Faked: Graph (a local server with its answers).
 */
import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFacebookChannel } from '../../../src/channels/facebook/client.js';
import { checkCredentials } from '../../../src/channels/platform-module.js';
import { CredentialMonitor, readCredentialReports } from '../../../src/credentials/credential-monitor.js';
import { EventBus, type SyndicateEvent } from '../../../src/events.js';
import { createLogger } from '../../../src/logger.js';
import { ChannelHealth } from '../../../src/queue/channel-health.js';
import { startFakeGraphServer, type FakeGraphServer } from '../../helpers/fake-graph-server.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../../helpers/redis.js';

const DAY_MS = 24 * 3600_000;

describe('credential monitor', () => {
  let graph: FakeGraphServer;
  let redis: Redis;
  const prefixes: string[] = [];

  beforeAll(async () => {
    graph = await startFakeGraphServer({ accessTokens: ['page-token'] });
    graph.setAccount('1001', { name: 'Coastal Daily' });
    redis = new Redis(TEST_REDIS_URL);
  });
  afterEach(async () => {
    for (const prefix of prefixes.splice(0)) await deletePrefix(prefix);
  });
  afterAll(async () => {
    redis?.disconnect();
    await graph?.close();
  });

  function setUp(token: string) {
    const prefix = uniquePrefix('credentials');
    prefixes.push(prefix);
    const channel = createFacebookChannel({ graph: { baseUrl: graph.url, version: graph.version }, pageId: '1001', pageToken: token });
    const health = new ChannelHealth(redis, prefix);
    const events = new EventBus();
    const seen: SyndicateEvent[] = [];
    events.on((event) => seen.push(event));
    const lines: Array<Record<string, unknown>> = [];
    const output = new PassThrough();
    output.on('data', (chunk: Buffer) =>
      lines.push(
        ...chunk
          .toString()
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line)),
      ),
    );
    const deps = { health, events, logger: createLogger('info', output), redis, prefix };
    const monitor = new CredentialMonitor({ ...deps, channels: [{ name: 'facebook', check: () => checkCredentials(channel) }] });
    return { prefix, health, seen, lines, deps, monitor, channel };
  }

  it('marks a refused channel failing, so /readyz lists it, and clears it once accepted', async () => {
    const { health, monitor, seen, prefix } = setUp('revoked-token');
    await health.markHealthy('facebook');
    const [report] = await monitor.checkAll();
    expect(report).toMatchObject({ channel: 'facebook', state: 'refused' });
    expect(Object.keys(await health.failing())).toEqual(['facebook']);
    expect(seen).toContainEqual({
      type: 'credential.checked',
      channel: 'facebook',
      ok: false,
      state: 'refused',
      account: null,
      expiresAt: null,
    });
    expect((await readCredentialReports(redis, prefix)).facebook?.state).toBe('refused');

    // The token is replaced: the next process's check clears the channel.
    const fixed = setUp('page-token');
    await fixed.health.markFailing('facebook', 'credentials check: earlier refusal');
    await fixed.monitor.checkAll();
    expect(await fixed.health.failing()).toEqual({});
  });

  it('emits the expiry and warns in the log a week ahead of it', async () => {
    const expiresAt = new Date(Math.floor((Date.now() + 5 * DAY_MS) / 1000) * 1000);
    graph.setTokenInfo('page-token', { expiresAt });
    try {
      const { monitor, seen, lines } = setUp('page-token');
      const [report] = await monitor.checkAll();
      expect(report).toMatchObject({ state: 'valid', account: 'Coastal Daily (Page 1001)', expiresAt: expiresAt.toISOString() });
      expect(seen).toContainEqual({
        type: 'credential.checked',
        channel: 'facebook',
        ok: true,
        state: 'valid',
        account: 'Coastal Daily (Page 1001)',
        expiresAt,
      });
      const warning = lines.find((line) => line.level === 40);
      expect(warning).toMatchObject({ channel: 'facebook', expiresAt: expiresAt.toISOString() });
      expect(String(warning?.msg)).toMatch(/^facebook credentials: expires \d{4}-\d{2}-\d{2} \(in [45] days\); renew them/);
    } finally {
      graph.setTokenInfo('page-token', {});
    }
  });

  it('does not warn of credentials that expire later than a week, nor of ones that never do', async () => {
    graph.setTokenInfo('page-token', { expiresAt: new Date(Date.now() + 40 * DAY_MS) });
    try {
      const { monitor, lines } = setUp('page-token');
      await monitor.checkAll();
      expect(lines.filter((line) => Number(line.level) >= 40)).toEqual([]);
      expect(lines).toContainEqual(expect.objectContaining({ msg: 'credentials checked', channel: 'facebook' }));
    } finally {
      graph.setTokenInfo('page-token', {});
    }
  });

  it('asks the platform once per interval, whichever process comes first', async () => {
    const first = setUp('page-token');
    const before = graph.requestsTo('GET', '/debug_token').length;
    // Two processes of one deployment (same prefix), checking in the same hour.
    const second = new CredentialMonitor({
      ...first.deps,
      channels: [{ name: 'facebook', check: () => checkCredentials(first.channel) }],
    });
    const [one, two] = await Promise.all([first.monitor.checkAll(), second.checkAll()]);
    expect(one.length + two.length).toBe(1);
    expect(graph.requestsTo('GET', '/debug_token').length - before).toBe(1);
  });

  it('counts a platform that does not answer as unknown, leaving the channel as it was', async () => {
    const { monitor, health, seen } = setUp('page-token');
    graph.failNext('GET', '/debug_token', { status: 500 });
    const [report] = await monitor.checkAll();
    expect(report?.state).toBe('unknown');
    expect(await health.failing()).toEqual({});
    expect(seen).toContainEqual(expect.objectContaining({ type: 'credential.checked', ok: false, state: 'unknown' }));
  });
});
