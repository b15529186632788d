import { describe, expect, it } from 'vitest';
import { GraphApiError, GraphNetworkError, readGraphErrorBody } from '../../../../src/channels/graph/errors.js';
import { parseUsageHeaders } from '../../../../src/channels/graph/usage.js';
import {
  classifyInstagramError,
  containerIdOf,
  ContainerFailedError,
  ContainerNotReadyError,
  ImagePreparationError,
  InstagramPublishError,
  PublishedButNotFoundError,
  PublishingQuotaError,
  QUOTA_RECHECK_MS,
} from '../../../../src/channels/instagram/errors.js';

const NOW = new Date('2026-03-02T08:00:00.000Z');
const classify = (error: unknown) => classifyInstagramError(error, { now: () => NOW });

function apiError(code: number, subcode?: number) {
  const body = readGraphErrorBody({
    error: { message: `error ${code}`, type: 'OAuthException', code, error_subcode: subcode, fbtrace_id: 't' },
  });
  return new GraphApiError(400, body!, parseUsageHeaders(new Headers()), { method: 'POST', path: '/1/media_publish' });
}

describe('classifyInstagramError', () => {
  it.each([
    [9, 2207042, 'rate_limited'],
    [4, 2207051, 'permanent'],
    [4, undefined, 'rate_limited'],
    [-1, 2207001, 'retry'],
    [-2, 2207003, 'retry'],
    [9007, 2207027, 'retry'],
    [36000, 2207004, 'permanent'],
    [190, undefined, 'auth'],
    [506, undefined, 'duplicate'],
  ] as const)('code %i/%s → %s', (code, subcode, kind) => {
    expect(classify(apiError(code, subcode)).kind).toBe(kind);
  });

  it('looks at the quota again an hour after publishing said it was reached', () => {
    expect(classify(apiError(9, 2207042))).toMatchObject({ until: new Date(NOW.getTime() + QUOTA_RECHECK_MS) });
  });

  it('waits out a used publishing quota until the given time', () => {
    const until = new Date(NOW.getTime() + 86_400_000);
    expect(classify(new PublishingQuotaError(100, 100, until))).toMatchObject({ kind: 'rate_limited', until });
  });

  it('gives up on a failed container and retries one that is not ready', () => {
    expect(classify(new ContainerFailedError('77', 'ERROR', 'Error: bad image')).kind).toBe('permanent');
    expect(classify(new ContainerFailedError('77', 'EXPIRED', undefined)).kind).toBe('permanent');
    expect(classify(new ContainerNotReadyError('77', 'IN_PROGRESS', 10)).kind).toBe('retry');
    expect(classify(new PublishedButNotFoundError('77')).kind).toBe('permanent');
  });

  it('classifies what happened after the container by its cause, naming the container', () => {
    const lost = new InstagramPublishError(
      '77',
      new GraphNetworkError({ method: 'POST', path: '/1/media_publish' }, false, new TypeError('fetch failed')),
    );
    expect(classify(lost)).toMatchObject({ kind: 'retry', message: expect.stringContaining('container 77') as string });
    expect(containerIdOf(lost)).toBe('77');
    expect(classify(new InstagramPublishError('77', new ContainerFailedError('77', 'ERROR', undefined))).kind).toBe('permanent');
    expect(containerIdOf(new Error('other'))).toBeNull();
  });

  it('retries an image step that could not reach the image, and gives up on a broken image', () => {
    expect(classify(new ImagePreparationError(new TypeError('fetch failed'))).kind).toBe('retry');
    expect(classify(new ImagePreparationError(new Error('Input buffer contains unsupported image format'))).kind).toBe('permanent');
  });
});
