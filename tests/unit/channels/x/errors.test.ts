import type { ClientRequest, IncomingMessage } from 'node:http';
import {
  ApiPartialResponseError,
  ApiRequestError,
  ApiResponseError,
  type TwitterApiErrorData,
  type TwitterRateLimit,
} from 'twitter-api-v2';
import { describe, expect, it } from 'vitest';
import { classifyXError, XResponseError } from '../../../../src/channels/x/errors.js';

const NOW = new Date('2026-03-02T08:00:00.000Z');
const nowSeconds = NOW.getTime() / 1000;

/** An error as twitter-api-v2 builds it from an HTTP answer (its constructor is public). */
function answered(code: number, data: TwitterApiErrorData, rateLimit?: TwitterRateLimit): ApiResponseError {
  return new ApiResponseError(`Request failed with code ${code}`, {
    code,
    data,
    rateLimit,
    headers: {},
    request: {} as ClientRequest,
    response: {} as IncomingMessage,
  });
}

describe('classifyXError', () => {
  it('waits until the 15-minute window resets on 429', () => {
    const error = answered(429, { title: 'Too Many Requests' }, { limit: 100, remaining: 0, reset: nowSeconds + 300 });
    expect(classifyXError(error, NOW)).toMatchObject({ kind: 'rate_limited', until: new Date((nowSeconds + 300) * 1000) });
  });

  it('waits a little, not zero, when the reset is already past', () => {
    const error = answered(429, {}, { limit: 100, remaining: 0, reset: nowSeconds - 30 });
    expect(classifyXError(error, NOW)).toMatchObject({ kind: 'rate_limited', until: new Date(NOW.getTime() + 1000) });
  });

  it('reads the application-wide daily window too', () => {
    const error = answered(
      429,
      {},
      { limit: 100, remaining: 5, reset: nowSeconds + 60, day: { limit: 50, remaining: 0, reset: nowSeconds + 7200 } },
    );
    expect(classifyXError(error, NOW)).toMatchObject({ kind: 'rate_limited', until: new Date((nowSeconds + 7200) * 1000) });
  });

  it.each([
    [
      'v2 duplicate content',
      403,
      { detail: 'You are not allowed to create a Tweet with duplicate content.', type: 'about:blank', title: 'Forbidden' },
    ],
    ['v1.1 code 187', 403, { errors: [{ code: 187, message: 'Status is a duplicate.' }] }],
    ['a reworded detail', 403, { title: 'Duplicate', detail: 'This Tweet duplicates one you already posted' }],
  ] as const)('recognises %s as duplicate', (_, code, data) => {
    expect(classifyXError(answered(code, data as TwitterApiErrorData), NOW).kind).toBe('duplicate');
  });

  it.each([
    ['401', 401, { title: 'Unauthorized', detail: 'Unauthorized', type: 'about:blank' }],
    ['v1.1 invalid token', 400, { errors: [{ code: 89, message: 'Invalid or expired token.' }] }],
    [
      'an app outside a Project',
      403,
      { title: 'Client Forbidden', reason: 'client-not-enrolled', type: 'https://api.twitter.com/2/problems/client-forbidden' },
    ],
    [
      'a read-only app',
      403,
      {
        title: 'Forbidden',
        type: 'about:blank',
        detail: 'Your client app is not configured with the appropriate oauth1 app permissions for this endpoint.',
      },
    ],
  ] as const)('reports %s as auth', (_, code, data) => {
    expect(classifyXError(answered(code, data as TwitterApiErrorData), NOW).kind).toBe('auth');
  });

  it.each([500, 502, 503, 504, 408])('retries %i', (code) => {
    expect(classifyXError(answered(code, { title: 'Server error' }), NOW).kind).toBe('retry');
  });

  it.each([400, 403, 404, 413])('gives up on %i', (code) => {
    expect(
      classifyXError(answered(code, { title: 'Invalid Request', detail: 'One or more parameters to your request was invalid.' }), NOW).kind,
    ).toBe('permanent');
  });

  it('retries when X did not answer or the answer broke off, naming the cause', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' });
    const noAnswer = new ApiRequestError('Request failed.', { request: {} as ClientRequest, error: refused });
    expect(classifyXError(noAnswer, NOW)).toEqual({
      kind: 'retry',
      message: 'X did not answer: ECONNREFUSED connect ECONNREFUSED 127.0.0.1:443',
    });
    const broken = new ApiPartialResponseError('partial', {
      request: {} as ClientRequest,
      response: {} as IncomingMessage,
      rawContent: '{"da',
      responseError: new Error('Unexpected end of JSON input'),
    });
    expect(classifyXError(broken, NOW).kind).toBe('retry');
  });

  it('retries an answer without a post id, and gives up on a failed media processing', () => {
    expect(classifyXError(new XResponseError('X accepted the post but returned no id'), NOW).kind).toBe('retry');
    expect(classifyXError(new Error('Media processing failed: unsupported'), NOW).kind).toBe('permanent');
  });

  it("quotes X's own words in the message", () => {
    const error = answered(403, { title: 'Forbidden', detail: 'You are not permitted to perform this action.' });
    expect(classifyXError(error, NOW).message).toBe('X answered 403: Forbidden: You are not permitted to perform this action.');
  });
});
