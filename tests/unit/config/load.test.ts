import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../config/load.js';

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'syndicate-config-'));
}

function problemsOf(env: NodeJS.ProcessEnv, cwd = tempDir()) {
  try {
    loadConfig(env, { cwd });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('runs on embedded defaults with nothing set', () => {
    const cwd = tempDir();
    const { config } = loadConfig({}, { cwd });
    expect(config.port).toBe(8080);
    expect(config.publicBaseUrl).toBe('http://localhost:8080');
    expect(config.databaseUrl).toBe(`sqlite:${path.join(cwd, 'data', 'syndicate.db')}`);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.channels).toEqual(['feeds', 'newsletter', 'x', 'facebook', 'instagram', 'mastodon', 'bluesky']);
    expect(config.outbox).toBe(true);
    expect(config.feeds.items).toBe(50);
  });

  it('generates the tokens into DATA_DIR once and reuses them', () => {
    const cwd = tempDir();
    const first = loadConfig({}, { cwd });
    expect(Object.keys(first.generated).sort()).toEqual(['ADMIN_TOKEN', 'PUBLISHER_TOKEN', 'SECRET_KEY']);
    const file = path.join(cwd, 'data', 'secrets.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = loadConfig({}, { cwd });
    expect(second.generated).toEqual({});
    expect(second.config.publisherToken).toBe(first.config.publisherToken);
    expect(JSON.parse(readFileSync(file, 'utf8')).SECRET_KEY).toBe(first.config.secretKey);
  });

  it('reads .env, with the real environment winning', () => {
    const cwd = tempDir();
    writeFileSync(path.join(cwd, '.env'), 'PORT=9000\nSITE_TITLE="From dotenv"\n');
    const { config } = loadConfig({ PORT: '9100' }, { cwd });
    expect(config.port).toBe(9100);
    expect(config.site.title).toBe('From dotenv');
  });

  it('reads NAME_FILE secrets', () => {
    const cwd = tempDir();
    writeFileSync(path.join(cwd, 'token'), 'a-publisher-token-from-a-file\n');
    const { config } = loadConfig({ PUBLISHER_TOKEN_FILE: 'token' }, { cwd });
    expect(config.publisherToken).toBe('a-publisher-token-from-a-file');
  });

  it('reports every problem at once, by variable name', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      REDIS_URL: 'http://nope',
      CHANNELS: 'feeds,myspace',
      OUTBOX: 'maybe',
      FEED_ITEMS: '0',
      DATABASE_URL: 'mysql://x',
      WEBSUB_HUB: 'not a url',
    }).map((p) => p.variable);
    expect(problems).toEqual(
      expect.arrayContaining(['PORT', 'REDIS_URL', 'CHANNELS', 'OUTBOX', 'FEED_ITEMS', 'DATABASE_URL', 'WEBSUB_HUB']),
    );
  });

  it('refuses a NAME_FILE that cannot be read, and one set beside its variable', () => {
    expect(problemsOf({ SECRET_KEY_FILE: '/nonexistent/key' }).map((p) => p.variable)).toContain('SECRET_KEY_FILE');
    expect(problemsOf({ ADMIN_TOKEN: 'x'.repeat(20), ADMIN_TOKEN_FILE: '/etc/hostname' }).map((p) => p.variable)).toContain(
      'ADMIN_TOKEN_FILE',
    );
  });

  it('refuses half of a credential set', () => {
    expect(problemsOf({ FACEBOOK_PAGE_ID: '123' })[0]?.variable).toBe('FACEBOOK_PAGE_TOKEN');
  });

  it('refuses short tokens', () => {
    expect(problemsOf({ PUBLISHER_TOKEN: 'short' }).map((p) => p.variable)).toContain('PUBLISHER_TOKEN');
  });

  it('returns a frozen config', () => {
    const { config } = loadConfig({}, { cwd: tempDir() });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.feeds)).toBe(true);
  });
});

describe('X_API_BASE_URL', () => {
  it('must be https, since the X client speaks nothing else', () => {
    expect(() => loadConfig({ X_API_BASE_URL: 'http://127.0.0.1:8443' }, { cwd: tempDir() })).toThrow(
      /X_API_BASE_URL: must be an https URL/,
    );
    expect(loadConfig({ X_API_BASE_URL: 'https://127.0.0.1:8443' }, { cwd: tempDir() }).config.x.baseUrl).toBe('https://127.0.0.1:8443');
  });
});

describe('mail and newsletter variables', () => {
  it('reads the newsletter settings with their defaults', () => {
    const { config } = loadConfig({}, { cwd: tempDir() });
    expect(config.mail).toMatchObject({ smtpUrl: undefined, rate: 50, leaseMs: 60_000, unsubscribeMailto: undefined });
    expect(config.subscribe).toEqual({ recordIp: false, ratePerMinute: 5 });
    expect(config.digest).toEqual({ hour: 7, weekday: 1, timeZone: 'UTC' });
  });

  it('refuses bad mail settings, each by name', () => {
    const problems = problemsOf({
      SMTP_URL: 'http://mail.example.org',
      MAIL_RATE: '-1',
      MAIL_UNSUBSCRIBE_MAILTO: 'not an address',
      MAIL_LEASE_SECONDS: '0',
      DIGEST_HOUR: '24',
      DIGEST_WEEKDAY: '7',
      TZ: 'Mars/Olympus_Mons',
      SUBSCRIBE_RECORD_IP: 'perhaps',
    }).map((p) => p.variable);
    expect(problems).toEqual(
      expect.arrayContaining([
        'SMTP_URL',
        'MAIL_RATE',
        'MAIL_UNSUBSCRIBE_MAILTO',
        'MAIL_LEASE_SECONDS',
        'DIGEST_HOUR',
        'DIGEST_WEEKDAY',
        'TZ',
        'SUBSCRIBE_RECORD_IP',
      ]),
    );
  });

  it('refuses half a DKIM set and accepts a one-line PEM with \\n escapes', () => {
    expect(problemsOf({ DKIM_DOMAIN: 'news.example.org' }).map((p) => p.variable)).toEqual(['DKIM_SELECTOR, DKIM_PRIVATE_KEY']);
    const { config } = loadConfig(
      {
        DKIM_DOMAIN: 'news.example.org',
        DKIM_SELECTOR: 's1',
        DKIM_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----',
      },
      { cwd: tempDir() },
    );
    expect(config.mail.dkim?.privateKey).toBe('-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----');
  });
});
