import { describe, expect, it } from 'vitest';
import { GraphApiError, readGraphErrorBody } from '../../../../src/channels/graph/errors.js';
import { backoffUntil, parseUsageHeaders } from '../../../../src/channels/graph/usage.js';

const NOW = new Date('2026-03-02T08:00:00.000Z');

describe('parseUsageHeaders', () => {
  it('reads X-App-Usage and every X-Business-Use-Case-Usage entry', () => {
    const usage = parseUsageHeaders(
      new Headers({
        'X-App-Usage': '{"call_count":28,"total_time":25,"total_cputime":26}',
        'X-Business-Use-Case-Usage':
          '{"111":[{"type":"pages","call_count":95,"total_cputime":10,"total_time":11,"estimated_time_to_regain_access":0}],"222":[{"type":"instagram","call_count":100,"total_cputime":1,"total_time":2,"estimated_time_to_regain_access":7}]}',
      }),
    );
    expect(usage.app).toEqual({ callCount: 28, totalTime: 25, totalCputime: 26 });
    expect(usage.businessUseCase).toEqual([
      { businessObjectId: '111', type: 'pages', callCount: 95, totalCputime: 10, totalTime: 11, estimatedTimeToRegainAccessMinutes: 0 },
      { businessObjectId: '222', type: 'instagram', callCount: 100, totalCputime: 1, totalTime: 2, estimatedTimeToRegainAccessMinutes: 7 },
    ]);
    expect(backoffUntil(usage, NOW)).toEqual(new Date(NOW.getTime() + 7 * 60_000));
  });

  it('treats absent or malformed headers as unknown, not as a reason to wait', () => {
    const usage = parseUsageHeaders(new Headers({ 'X-App-Usage': 'not json', 'X-Business-Use-Case-Usage': '[1,2]' }));
    expect(usage).toEqual({ app: null, businessUseCase: [] });
    expect(backoffUntil(usage, NOW)).toBeNull();
    expect(backoffUntil(parseUsageHeaders(new Headers()), NOW)).toBeNull();
  });

  it('gives GraphApiError a backoffUntil(now) from its response headers', () => {
    const body = readGraphErrorBody({
      error: { message: '(#80001) too many calls', code: 80001, type: 'OAuthException', fbtrace_id: 'x' },
    });
    const headers = new Headers({
      'x-business-use-case-usage':
        '{"9":[{"type":"pages","call_count":100,"total_cputime":0,"total_time":0,"estimated_time_to_regain_access":2}]}',
    });
    const error = new GraphApiError(400, body!, parseUsageHeaders(headers), { method: 'GET', path: '/9/feed' });
    expect(error.backoffUntil(NOW)).toEqual(new Date(NOW.getTime() + 120_000));
    expect(error).toMatchObject({ status: 400, code: 80001, type: 'OAuthException', fbtraceId: 'x' });
  });
});
