import { XRPCError } from '@atproto/api';
import { describe, expect, it } from 'vitest';
import { BlueskyImageError, BlueskyRecordKeyError, classifyBlueskyError } from '../../../../src/channels/bluesky/errors.js';

const NOW = new Date('2026-03-02T08:00:00.000Z');
const nowSeconds = NOW.getTime() / 1000;

/** An error as `@atproto/api` builds it from an HTTP answer (its constructor is public). */
function answered(status: number, error: string, message: string, headers: Record<string, string> = {}): XRPCError {
  return new XRPCError(status, error, message, headers);
}

describe('classifyBlueskyError', () => {
  it('waits until ratelimit-reset on 429', () => {
    const error = answered(429, 'RateLimitExceeded', 'Rate Limit Exceeded', {
      'ratelimit-limit': '30',
      'ratelimit-remaining': '0',
      'ratelimit-reset': String(nowSeconds + 240),
      'ratelimit-policy': '30;w=300',
    });
    expect(classifyBlueskyError(error, NOW)).toEqual({
      kind: 'rate_limited',
      message: 'Bluesky answered 429 RateLimitExceeded: Rate Limit Exceeded',
      until: new Date((nowSeconds + 240) * 1000),
    });
  });

  it('reads retry-after without ratelimit-reset, waits a minute without either, and a second when the reset is past', () => {
    const retryAfter = answered(429, 'RateLimitExceeded', 'Rate Limit Exceeded', { 'retry-after': '90' });
    expect(classifyBlueskyError(retryAfter, NOW)).toMatchObject({ until: new Date(NOW.getTime() + 90_000) });
    const bare = answered(429, 'RateLimitExceeded', 'Rate Limit Exceeded');
    expect(classifyBlueskyError(bare, NOW)).toMatchObject({ until: new Date(NOW.getTime() + 60_000) });
    const past = answered(429, 'RateLimitExceeded', 'Rate Limit Exceeded', { 'ratelimit-reset': String(nowSeconds - 30) });
    expect(classifyBlueskyError(past, NOW)).toMatchObject({ until: new Date(NOW.getTime() + 1000) });
  });

  it.each([
    [401, 'AuthenticationRequired', 'Invalid identifier or password'],
    [401, 'AuthMissing', 'Authentication Required'],
    [400, 'ExpiredToken', 'Token has expired'],
    [400, 'InvalidToken', 'Token could not be verified'],
    [401, 'AccountTakedown', 'Account has been taken down'],
  ])('reports %i %s as auth', (status, name, message) => {
    expect(classifyBlueskyError(answered(status, name, message), NOW).kind).toBe('auth');
  });

  it.each([
    [400, 'InvalidRequest', 'Invalid app.bsky.feed.post record: grapheme too big (maximum 300, got 301) at $.record.text'],
    [400, 'InvalidRecord', 'Record/text must not be longer than 300 graphemes'],
    [400, 'BlobNotFound', 'Could not find blob: bafkrei…'],
    [413, 'PayloadTooLarge', 'request entity too large'],
    [403, 'Forbidden', 'Forbidden'],
  ])('gives up on %i %s', (status, name, message) => {
    expect(classifyBlueskyError(answered(status, name, message), NOW).kind).toBe('permanent');
  });

  it.each([500, 502, 503, 504])('retries %i', (status) => {
    expect(classifyBlueskyError(answered(status, 'InternalServerError', 'Internal Server Error'), NOW).kind).toBe('retry');
  });

  it('calls a record key already taken a duplicate when the PDS says so in words', () => {
    const error = answered(400, 'InvalidRequest', 'Record already exists');
    expect(classifyBlueskyError(error, NOW)).toEqual({
      kind: 'duplicate',
      message: 'Bluesky answered 400 InvalidRequest: Record already exists',
    });
  });

  it('retries when Bluesky did not answer, naming the cause', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' });
    const error = XRPCError.from(new TypeError('fetch failed', { cause: refused }));
    expect(classifyBlueskyError(error, NOW)).toEqual({
      kind: 'retry',
      message: 'Bluesky did not answer: fetch failed: connect ECONNREFUSED 127.0.0.1:443',
    });
    const timedOut = XRPCError.from(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    expect(classifyBlueskyError(timedOut, NOW)).toMatchObject({ kind: 'retry', message: expect.stringMatching(/timeout/) });
  });

  it('gives up on an image that cannot be a thumb and on record keys all taken; retries anything else', () => {
    expect(classifyBlueskyError(new BlueskyImageError('too large'), NOW).kind).toBe('permanent');
    expect(classifyBlueskyError(new BlueskyRecordKeyError('taken'), NOW).kind).toBe('permanent');
    expect(classifyBlueskyError(new Error('socket hang up'), NOW)).toEqual({
      kind: 'retry',
      message: 'Bluesky request failed: socket hang up',
    });
  });
});
