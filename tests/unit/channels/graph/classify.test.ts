import { describe, expect, it } from 'vitest';
import { classifyGraphError, DEFAULT_RATE_LIMIT_BACKOFF_MS } from '../../../../src/channels/graph/classify.js';
import { GraphApiError, GraphNetworkError, GraphResponseError, readGraphErrorBody } from '../../../../src/channels/graph/errors.js';
import { parseUsageHeaders } from '../../../../src/channels/graph/usage.js';

const NOW = new Date('2026-03-02T08:00:00.000Z');
const request = { method: 'POST', path: '/123/feed' };

function apiError(
  code: number | undefined,
  options: { subcode?: number; status?: number; headers?: Record<string, string>; isTransient?: boolean } = {},
) {
  const body = readGraphErrorBody({
    error: {
      message: `error ${code}`,
      type: 'OAuthException',
      code,
      error_subcode: options.subcode,
      is_transient: options.isTransient,
      fbtrace_id: 'AbC',
    },
  });
  if (!body) throw new Error('test body not read');
  return new GraphApiError(options.status ?? 400, body, parseUsageHeaders(new Headers(options.headers)), request);
}

const classify = (error: unknown) => classifyGraphError(error, { now: () => NOW });

describe('classifyGraphError', () => {
  it.each([
    [1, 'retry'],
    [2, 'retry'],
    [4, 'rate_limited'],
    [17, 'rate_limited'],
    [32, 'rate_limited'],
    [613, 'rate_limited'],
    [341, 'rate_limited'],
    ...[80000, 80001, 80002, 80003, 80004, 80005, 80006, 80008, 80009, 80014].map((code) => [code, 'rate_limited'] as const),
    [190, 'auth'],
    [102, 'auth'],
    [3, 'auth'],
    [10, 'auth'],
    [200, 'auth'],
    [230, 'auth'],
    [299, 'auth'],
    [368, 'permanent'],
    [506, 'duplicate'],
    [100, 'permanent'],
    [300, 'permanent'],
    [1609005, 'permanent'],
    [80015, 'permanent'],
  ] as const)('code %i → %s', (code, kind) => {
    expect(classify(apiError(code)).kind).toBe(kind);
  });

  it('says "blocked" for code 368', () => {
    expect(classify(apiError(368)).message).toMatch(/^blocked: /);
  });

  it('waits as long as the Business Use Case header estimates', () => {
    const headers = {
      'x-business-use-case-usage': JSON.stringify({
        '123': [{ type: 'pages', call_count: 100, total_cputime: 12, total_time: 30, estimated_time_to_regain_access: 19 }],
        '456': [{ type: 'instagram', call_count: 40, total_cputime: 1, total_time: 1, estimated_time_to_regain_access: 3 }],
      }),
    };
    expect(classify(apiError(80001, { headers }))).toEqual({
      kind: 'rate_limited',
      message: expect.stringContaining('code 80001') as string,
      until: new Date(NOW.getTime() + 19 * 60_000),
    });
  });

  it('backs off by the default when the headers give no estimate', () => {
    const headers = { 'x-app-usage': JSON.stringify({ call_count: 100, total_time: 20, total_cputime: 20 }) };
    const result = classify(apiError(4, { headers }));
    expect(result).toMatchObject({ kind: 'rate_limited', until: new Date(NOW.getTime() + DEFAULT_RATE_LIMIT_BACKOFF_MS) });
    const custom = classifyGraphError(apiError(17), { now: () => NOW, rateLimitBackoffMs: 1000 });
    expect(custom).toMatchObject({ until: new Date(NOW.getTime() + 1000) });
  });

  it('treats HTTP 429 without a code as a rate limit', () => {
    expect(classify(apiError(undefined, { status: 429 })).kind).toBe('rate_limited');
  });

  it('retries 5xx answers without a known code and errors Graph marks transient', () => {
    expect(classify(apiError(undefined, { status: 502 })).kind).toBe('retry');
    expect(classify(apiError(100, { status: 503 })).kind).toBe('retry');
    expect(classify(apiError(9999, { isTransient: true })).kind).toBe('retry');
  });

  it('retries network failures, time-outs and unreadable successes', () => {
    expect(classify(new GraphNetworkError(request, true, new DOMException('timed out', 'TimeoutError'))).kind).toBe('retry');
    expect(classify(new GraphNetworkError(request, false, new TypeError('fetch failed'))).kind).toBe('retry');
    expect(classify(new GraphResponseError(request, 'not JSON')).kind).toBe('retry');
    expect(classify(new TypeError('fetch failed')).kind).toBe('retry');
    expect(classify(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).kind).toBe('retry');
  });

  it('calls anything else permanent', () => {
    expect(classify(new Error('something odd')).kind).toBe('permanent');
    expect(classify('a string').kind).toBe('permanent');
  });
});
