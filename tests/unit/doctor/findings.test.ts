import { describe, expect, it } from 'vitest';
import { credentialFinding, modeFinding } from '../../../src/doctor/channel-check.js';
import { doctorExitCode, findingsJson, renderFindings, type Finding } from '../../../src/doctor/finding.js';
import { compareVersions, parseRedisInfo, redisFindings } from '../../../src/doctor/redis-check.js';

const NOW = new Date('2026-03-02T09:00:00Z');
const inDays = (days: number) => new Date(NOW.getTime() + days * 24 * 3600_000);

describe('doctor findings', () => {
  it('blocks (exit 1) only on a failure; warnings leave it at 0', () => {
    const ok: Finding = { status: 'ok', check: 'redis', detail: 'Redis 7.2.4' };
    const warn: Finding = { status: 'warn', check: 'redis persistence', detail: 'off' };
    const fail: Finding = { status: 'fail', check: 'x', detail: 'credentials refused: Unauthorized' };
    expect(doctorExitCode([ok, warn])).toBe(0);
    expect(doctorExitCode([ok, warn, fail])).toBe(1);
    expect(findingsJson([ok, fail]).ok).toBe(false);
    const text = renderFindings([ok, warn, fail]);
    expect(text).toMatch(/^ {2}✓ {2}redis {14}Redis 7\.2\.4$/m);
    expect(text).toMatch(/^ {2}✗ {2}x {18}credentials refused: Unauthorized$/m);
    expect(text).toMatch(/1 problem blocks delivery; 1 warning\.$/);
    expect(renderFindings([ok])).toMatch(/All good\.$/);
  });

  it('reads credentials: whose, and warns within 30 days of their expiry', () => {
    expect(credentialFinding('x', { state: 'valid', account: '@newsroom', expiresAt: null }, NOW)).toMatchObject({
      status: 'ok',
      detail: '@newsroom · does not expire',
    });
    expect(credentialFinding('facebook', { state: 'valid', account: 'Daily (Page 1)', expiresAt: inDays(60) }, NOW)).toMatchObject({
      status: 'ok',
      detail: 'Daily (Page 1) · expires 2026-05-01 (in 60 days)',
    });
    expect(credentialFinding('instagram', { state: 'valid', account: '@daily', expiresAt: inDays(20) }, NOW)).toMatchObject({
      status: 'warn',
      detail: '@daily · expires 2026-03-22 (in 20 days): renew them',
    });
    expect(credentialFinding('instagram', { state: 'valid', account: '@daily', expiresAt: inDays(-1) }, NOW).status).toBe('fail');
    expect(credentialFinding('x', { state: 'refused', message: 'Unauthorized' }, NOW)).toMatchObject({
      status: 'fail',
      detail: 'credentials refused: Unauthorized',
    });
    expect(credentialFinding('mastodon', { state: 'unknown', message: 'no answer within 15 s' }, NOW)).toMatchObject({
      status: 'fail',
      detail: 'could not check: no answer within 15 s',
    });
  });

  it('warns that a channel without credentials sends nothing', () => {
    expect(modeFinding('x', 'outbox', '/data/outbox')).toMatchObject({
      status: 'warn',
      detail: 'no credentials: writes to /data/outbox instead of sending',
    });
    expect(modeFinding('x', 'off', '/data/outbox')?.status).toBe('warn');
    expect(modeFinding('x', 'live', '/data/outbox')).toBeNull();
  });
});

describe('redis findings', () => {
  const url = 'redis://:hunter2@redis.internal:6379';

  it('passes Redis 6.2+ with noeviction and AOF, without showing its password', () => {
    const findings = redisFindings({ version: '7.2.4', maxmemoryPolicy: 'noeviction', aof: true, rdbSave: '' }, url);
    expect(findings.map((finding) => finding.status)).toEqual(['ok', 'ok', 'ok']);
    expect(JSON.stringify(findings)).not.toContain('hunter2');
    expect(findings[2]!.detail).toBe('AOF on');
  });

  it('blocks on an old Redis and on an eviction policy; warns without persistence', () => {
    const findings = redisFindings({ version: '6.0.16', maxmemoryPolicy: 'allkeys-lru', aof: false, rdbSave: '' }, url);
    expect(findings.map((finding) => [finding.check, finding.status])).toEqual([
      ['redis', 'fail'],
      ['redis maxmemory-policy', 'fail'],
      ['redis persistence', 'warn'],
    ]);
    expect(findings[1]!.detail).toContain('set maxmemory-policy noeviction');
    expect(redisFindings({ version: '7.0.0', maxmemoryPolicy: 'noeviction', aof: false, rdbSave: '3600 1 300 100' }, url)[2]).toMatchObject(
      {
        status: 'ok',
        detail: 'RDB snapshots (save 3600 1 300 100)',
      },
    );
    expect(redisFindings({ version: '7.0.0', maxmemoryPolicy: 'noeviction', aof: false, rdbSave: null }, url)[2]!.status).toBe('warn');
  });

  it('parses INFO and compares versions', () => {
    expect(parseRedisInfo('# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n')).toEqual({
      redis_version: '7.0.15',
      redis_mode: 'standalone',
    });
    expect(compareVersions('6.2.0', '6.2.0')).toBe(0);
    expect(compareVersions('6.10.1', '6.2.0')).toBeGreaterThan(0);
    expect(compareVersions('6.0.20', '6.2.0')).toBeLessThan(0);
  });
});
