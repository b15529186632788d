/**
 * What the Mastodon client throws, and how the ledger reads it (SPEC §4 "Mastodon"): 429 waits
 * until `X-RateLimit-Reset` — an ISO 8601 time on Mastodon, not X's Unix seconds — without
 * spending an attempt; 401 and 403 (a revoked token, a token without the scope, a disabled
 * account) are `auth`; 422 and other 4xx will fail again (`permanent`); 5xx, time-outs and
 * network failures are retried. Mastodon has no "duplicate" answer: the `Idempotency-Key` makes a
 * repeat return the first status instead. No message carries the access token.
 */
import type { ErrorClass } from '../channel.js';

/** How long to wait after a 429 that names no reset time: Mastodon's shortest API window is 5 minutes. */
export const MASTODON_RATE_LIMIT_FALLBACK_MS = 5 * 60_000;

/** The request an error is about: method and path (no host, no query). */
export interface MastodonRequestInfo {
  method: string;
  path: string;
}

/** Mastodon answered with a status that is not what the call expects (≥ 400, or a 2xx without the fields it promises). */
export class MastodonResponseError extends Error {
  override readonly name = 'MastodonResponseError';
  /** HTTP status. */
  readonly status: number;
  /** The answer's headers, names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** The answer's body: parsed JSON, or the text when it was not JSON. */
  readonly body: unknown;
  readonly request: MastodonRequestInfo;

  constructor(request: MastodonRequestInfo, status: number, headers: Readonly<Record<string, string>>, body: unknown, problem?: string) {
    super(`Mastodon ${request.method} ${request.path} answered ${status}: ${problem ?? describeBody(body)}`);
    this.request = request;
    this.status = status;
    this.headers = headers;
    this.body = body;
  }
}

/** No answer: the connection failed or the time-out struck. The request may or may not have been acted on. */
export class MastodonRequestError extends Error {
  override readonly name = 'MastodonRequestError';
  readonly request: MastodonRequestInfo;
  /** True when our own time-out aborted the request. */
  readonly timedOut: boolean;

  constructor(request: MastodonRequestInfo, timedOut: boolean, cause: unknown) {
    super(`Mastodon ${request.method} ${request.path} ${timedOut ? 'timed out' : `failed: ${describeCause(cause)}`}`, { cause });
    this.request = request;
    this.timedOut = timedOut;
  }
}

/** An uploaded image still processing when we stopped waiting: the next attempt uploads again. */
export class MastodonMediaProcessingError extends Error {
  override readonly name = 'MastodonMediaProcessingError';
  readonly mediaId: string;

  constructor(mediaId: string, waitedMs: number) {
    super(`Mastodon was still processing media ${mediaId} after ${waitedMs} ms`);
    this.mediaId = mediaId;
  }
}

/** Classifies anything the Mastodon client threw; `now` anchors rate-limit waits. */
export function classifyMastodonError(error: unknown, now: Date): ErrorClass {
  if (error instanceof MastodonResponseError) return classifyResponse(error, now);
  const message = error instanceof Error ? error.message : String(error);
  // No answer, media still processing, or something unforeseen: another attempt may pass.
  return { kind: 'retry', message };
}

function classifyResponse(error: MastodonResponseError, now: Date): ErrorClass {
  const { status, message } = error;
  if (status === 429) return { kind: 'rate_limited', message, until: rateLimitEnd(error.headers, now) };
  if (status === 401 || status === 403) return { kind: 'auth', message };
  if (status >= 500 || status === 408 || status < 300) {
    const retryAfter = parseRetryAfter(error.headers['retry-after'], now);
    return retryAfter ? { kind: 'retry', message, retryAfter } : { kind: 'retry', message };
  }
  return { kind: 'permanent', message };
}

/** `X-RateLimit-Reset` (ISO 8601 on Mastodon; Unix seconds accepted too), else `Retry-After`, else the fallback. */
function rateLimitEnd(headers: Readonly<Record<string, string>>, now: Date): Date {
  const reset = headers['x-ratelimit-reset']?.trim() ?? '';
  const at = /^\d+(\.\d+)?$/.test(reset) ? Number(reset) * 1000 : Date.parse(reset);
  const until = Number.isFinite(at) ? at : (parseRetryAfter(headers['retry-after'], now)?.getTime() ?? Number.NaN);
  if (!Number.isFinite(until)) return new Date(now.getTime() + MASTODON_RATE_LIMIT_FALLBACK_MS);
  // A reset already past (clock skew) still waits a little.
  return new Date(Math.max(until, now.getTime() + 1000));
}

/** `Retry-After` as seconds or an HTTP date; undefined when absent or unreadable. */
function parseRetryAfter(value: string | undefined, now: Date): Date | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  const at = /^\d+$/.test(trimmed) ? now.getTime() + Number(trimmed) * 1000 : Date.parse(trimmed);
  return Number.isFinite(at) ? new Date(at) : undefined;
}

/** Mastodon's own words: `{"error": "…"}` (plus OAuth's `error_description`), or the text. */
function describeBody(body: unknown): string {
  if (typeof body === 'string') return body.trim().slice(0, 300) || 'no body';
  if (body && typeof body === 'object') {
    const { error, error_description: description } = body as Record<string, unknown>;
    const parts = [error, description].filter((part): part is string => typeof part === 'string' && part !== '');
    if (parts.length > 0) return parts.join(': ').slice(0, 500);
  }
  return 'no error message';
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const code = (cause as NodeJS.ErrnoException).code;
  const inner = cause.cause instanceof Error ? `: ${describeCause(cause.cause)}` : '';
  return `${code ? `${code} ` : ''}${cause.message}${inner}`;
}
