/**
 * TRUST_PROXY decides whose address a request has: the socket's (default), or the one the
 * trusted proxies forwarded. The sign-up limit (per address) shows which one counted.
 * Real: Redis (the limit's counters), SQLite, workers off, Fastify (inject).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../config/load.js';
import { startTestSyndicate, type TestSyndicate } from '../../helpers/syndicate.js';

const LIMIT = 3;
let t: TestSyndicate | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

async function start(trustProxy?: string): Promise<TestSyndicate> {
  t = await startTestSyndicate('trust-proxy', {
    roles: [],
    env: {
      CHANNELS: 'feeds,newsletter',
      SUBSCRIBE_RATE_LIMIT: String(LIMIT),
      ...(trustProxy === undefined ? {} : { TRUST_PROXY: trustProxy }),
    },
  });
  return t;
}

/** POSTs a sign-up from `remoteAddress` (the socket) carrying `forwardedFor`; returns the status. */
async function signUp(s: TestSyndicate, n: number, remoteAddress: string, forwardedFor?: string): Promise<number> {
  const response = await s.app.inject({
    method: 'POST',
    url: '/subscribe',
    remoteAddress,
    headers: { 'content-type': 'application/json', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
    payload: { email: `reader${n}@example.com`, frequency: 'immediate' },
  });
  return response.statusCode;
}

describe('TRUST_PROXY', () => {
  it('is off by default: a forged X-Forwarded-For does not lift the sign-up limit', async () => {
    const s = await start();
    const statuses: number[] = [];
    for (let n = 0; n <= LIMIT; n++) statuses.push(await signUp(s, n, '198.51.100.7', `203.0.113.${n + 1}`));
    expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(202));
    expect(statuses[LIMIT]).toBe(429);
  });

  it('is off with TRUST_PROXY=false, and a forged header cannot spend another address’s quota', async () => {
    const s = await start('false');
    // A stranger claiming to be 192.0.2.1 many times…
    for (let n = 0; n <= LIMIT; n++) await signUp(s, n, '198.51.100.9', '192.0.2.1');
    // …has spent only their own quota: 192.0.2.1 itself can still sign up.
    expect(await signUp(s, 100, '192.0.2.1')).toBe(202);
  });

  it('with TRUST_PROXY=1, counts the address the one proxy forwarded', async () => {
    const s = await start('1');
    const proxy = '10.0.0.2';
    // Each reader behind the proxy has a quota of their own; a client-supplied first entry is ignored.
    const statuses: number[] = [];
    for (let n = 0; n <= LIMIT; n++) statuses.push(await signUp(s, n, proxy, `192.0.2.99, 203.0.113.${n + 1}`));
    expect(statuses).toEqual(Array(LIMIT + 1).fill(202));
    // One reader is still limited, whatever they put in front of the proxy's entry.
    const same: number[] = [];
    for (let n = 0; n <= LIMIT; n++) same.push(await signUp(s, 10 + n, proxy, `198.18.0.${n}, 203.0.113.50`));
    expect(same[LIMIT]).toBe(429);
  });

  it('with TRUST_PROXY set to addresses, trusts the header only from those proxies', async () => {
    const s = await start('10.0.0.0/8, 127.0.0.1');
    const viaProxy: number[] = [];
    for (let n = 0; n <= LIMIT; n++) viaProxy.push(await signUp(s, n, '10.1.2.3', `203.0.113.${n + 1}`));
    expect(viaProxy).toEqual(Array(LIMIT + 1).fill(202));
    const direct: number[] = [];
    for (let n = 0; n <= LIMIT; n++) direct.push(await signUp(s, 20 + n, '198.51.100.20', `203.0.113.${n + 100}`));
    expect(direct[LIMIT]).toBe(429);
  });

  it('parses false, true, a hop count or addresses and ranges, and refuses anything else by name', () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'syndicate-trust-proxy-'));
    const secrets = { PUBLISHER_TOKEN: 'p'.repeat(16), ADMIN_TOKEN: 'a'.repeat(16), SECRET_KEY: 's'.repeat(32), DATA_DIR: cwd };
    const trustProxy = (value?: string) =>
      loadConfig({ ...secrets, ...(value === undefined ? {} : { TRUST_PROXY: value }) }, { cwd, generateSecrets: false }).config.trustProxy;
    expect(trustProxy()).toBe(false);
    for (const off of ['false', '0', 'no', ' ']) expect(trustProxy(off), off).toBe(false);
    expect(trustProxy('true')).toBe(true);
    expect(trustProxy('1')).toBe(1);
    expect(trustProxy('2')).toBe(2);
    expect(trustProxy('10.0.0.0/8, 127.0.0.1')).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(trustProxy('::1,fd00::/8')).toEqual(['::1', 'fd00::/8']);
    for (const bad of ['banana', '10.0.0.0/33', '-1', '1.2.3', '10.0.0.1/', 'true,10.0.0.1', 'fd00::/129']) {
      expect(() => trustProxy(bad), bad).toThrow(ConfigError);
      try {
        trustProxy(bad);
      } catch (error) {
        expect((error as ConfigError).problems.map((p) => p.variable)).toEqual(['TRUST_PROXY']);
      }
    }
  });
});
