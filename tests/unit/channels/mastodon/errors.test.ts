import { describe, expect, it } from 'vitest';
import {
  classifyMastodonError,
  MASTODON_RATE_LIMIT_FALLBACK_MS,
  MastodonMediaProcessingError,
  MastodonRequestError,
  MastodonResponseError,
} from '../../../../src/channels/mastodon/errors.js';

const NOW = new Date('2026-03-02T08:00:00.000Z');
const STATUSES = { method: 'POST', path: '/api/v1/statuses' };

function answered(status: number, body: unknown, headers: Record<string, string> = {}): MastodonResponseError {
  return new MastodonResponseError(STATUSES, status, headers, body);
}

describe('classifyMastodonError', () => {
  it('waits until X-RateLimit-Reset, an ISO 8601 time with microseconds, on 429', () => {
    const error = answered(
      429,
      { error: 'Too many requests' },
      { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2026-03-02T08:05:00.123456Z' },
    );
    expect(classifyMastodonError(error, NOW)).toEqual({
      kind: 'rate_limited',
      until: new Date('2026-03-02T08:05:00.123Z'),
      message: 'Mastodon POST /api/v1/statuses answered 429: Too many requests',
    });
  });

  it('reads a reset in Unix seconds too, and Retry-After when there is no reset', () => {
    const seconds = answered(429, {}, { 'x-ratelimit-reset': String(NOW.getTime() / 1000 + 120) });
    expect(classifyMastodonError(seconds, NOW)).toMatchObject({ kind: 'rate_limited', until: new Date(NOW.getTime() + 120_000) });
    const retryAfter = answered(429, {}, { 'retry-after': '30' });
    expect(classifyMastodonError(retryAfter, NOW)).toMatchObject({ kind: 'rate_limited', until: new Date(NOW.getTime() + 30_000) });
  });

  it('waits five minutes after a 429 that says nothing, and a second when the reset is past', () => {
    expect(classifyMastodonError(answered(429, 'Too Many Requests'), NOW)).toMatchObject({
      kind: 'rate_limited',
      until: new Date(NOW.getTime() + MASTODON_RATE_LIMIT_FALLBACK_MS),
    });
    const past = answered(429, {}, { 'x-ratelimit-reset': '2026-03-02T07:59:00Z' });
    expect(classifyMastodonError(past, NOW)).toMatchObject({ kind: 'rate_limited', until: new Date(NOW.getTime() + 1000) });
  });

  it.each([
    ['an invalid token', 401, { error: 'The access token is invalid' }],
    ['a token without the scope', 403, { error: 'This action is outside the authorized scopes' }],
    ['a disabled login', 403, { error: 'Your login is currently disabled' }],
  ])('reports %s as auth', (_, status, body) => {
    expect(classifyMastodonError(answered(status, body), NOW).kind).toBe('auth');
  });

  it.each([
    ['a text over the limit', 422, { error: 'Validation failed: Text character limit of 500 exceeded' }],
    ['media still attached elsewhere', 422, { error: 'Media 1234 not found or already attached to another post' }],
    ['a missing status', 404, { error: 'Record not found' }],
    ['a bad request', 400, { error: 'Bad request' }],
    ['a file too large', 413, 'Request Entity Too Large'],
  ])('gives up on %s', (_, status, body) => {
    expect(classifyMastodonError(answered(status, body), NOW).kind).toBe('permanent');
  });

  it.each([500, 502, 503, 504, 408])('retries %i', (status) => {
    expect(classifyMastodonError(answered(status, { error: 'An unexpected error occurred' }), NOW).kind).toBe('retry');
  });

  it("passes a 503's Retry-After on", () => {
    expect(classifyMastodonError(answered(503, '', { 'retry-after': '120' }), NOW)).toMatchObject({
      kind: 'retry',
      retryAfter: new Date(NOW.getTime() + 120_000),
    });
  });

  it('retries an answer without the promised id, no answer at all, and media still processing', () => {
    const noId = new MastodonResponseError(STATUSES, 200, {}, {}, 'no status id');
    expect(classifyMastodonError(noId, NOW)).toEqual({
      kind: 'retry',
      message: 'Mastodon POST /api/v1/statuses answered 200: no status id',
    });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' });
    const noAnswer = new MastodonRequestError(STATUSES, false, new TypeError('fetch failed', { cause: refused }));
    expect(classifyMastodonError(noAnswer, NOW)).toEqual({
      kind: 'retry',
      message: 'Mastodon POST /api/v1/statuses failed: fetch failed: ECONNREFUSED connect ECONNREFUSED 127.0.0.1:443',
    });
    expect(classifyMastodonError(new MastodonRequestError(STATUSES, true, new Error('aborted')), NOW)).toEqual({
      kind: 'retry',
      message: 'Mastodon POST /api/v1/statuses timed out',
    });
    expect(classifyMastodonError(new MastodonMediaProcessingError('99', 15_000), NOW).kind).toBe('retry');
  });

  it("quotes Mastodon's own words, and OAuth's description", () => {
    const error = new MastodonResponseError(
      { method: 'GET', path: '/api/v1/accounts/verify_credentials' },
      401,
      {},
      {
        error: 'invalid_token',
        error_description: 'The access token was revoked',
      },
    );
    expect(classifyMastodonError(error, NOW).message).toBe(
      'Mastodon GET /api/v1/accounts/verify_credentials answered 401: invalid_token: The access token was revoked',
    );
  });
});
