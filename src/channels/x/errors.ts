/**
 * X's errors, as twitter-api-v2 throws them, sorted into what the ledger acts on (SPEC §4 "X"):
 * 429 waits until `x-rate-limit-reset` without spending an attempt; 5xx and network failures
 * back off and retry; 403 duplicate content is `duplicate`, never retried; 401 is `auth`.
 *
 * twitter-api-v2 throws three kinds: `ApiResponseError` (an HTTP status ≥ 400: `code`, `data`,
 * `rateLimit` from the `x-rate-limit-*` headers), `ApiRequestError` (no answer: DNS, TLS, reset,
 * time-out) and `ApiPartialResponseError` (the answer broke off mid-body).
 */
import { ApiPartialResponseError, ApiRequestError, ApiResponseError, EApiV1ErrorCode } from 'twitter-api-v2';
import type { ErrorClass } from '../channel.js';

/** How long to wait after a 429 that names no reset time. */
export const X_RATE_LIMIT_FALLBACK_MS = 60_000;

/**
 * An answer that X sent but that is not what its API promises (a 2xx without an id). The post
 * may exist, so it is retried, and the retry looks for it first.
 */
export class XResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XResponseError';
  }
}

// X's words are "You are not allowed to create a Tweet with duplicate content."; v1.1 said code 187.
const DUPLICATE = /duplicate/i;
// 403s no post gets past until someone fixes the app (not in a Project, read-only permissions).
// X has spelt the problem types both as api.twitter.com/2/problems/… and developer.x.com/…#….
const AUTH_FORBIDDEN_TYPE = /[/#](client-forbidden|unsupported-authentication)$/;
const AUTH_FORBIDDEN_DETAIL = /oauth1 app permissions|client-not-enrolled/i;

/** Classifies anything the X client threw; `now` anchors rate-limit waits. */
export function classifyXError(error: unknown, now: Date): ErrorClass {
  if (error instanceof ApiResponseError) return classifyResponse(error, now);
  if (error instanceof ApiPartialResponseError) {
    return { kind: 'retry', message: `X's answer broke off: ${describeCause(error.responseError)}` };
  }
  if (error instanceof ApiRequestError) {
    return { kind: 'retry', message: `X did not answer: ${describeCause(requestCause(error))}` };
  }
  if (error instanceof XResponseError) return { kind: 'retry', message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  // twitter-api-v2's own words when X could not process an upload: the same file will fail again.
  if (message.startsWith('Media processing failed')) return { kind: 'permanent', message };
  return { kind: 'retry', message };
}

function classifyResponse(error: ApiResponseError, now: Date): ErrorClass {
  const status = error.code;
  const message = `X answered ${status}: ${describeData(error) || error.message}`;
  if (status === 429 || status === 420) return { kind: 'rate_limited', message, until: rateLimitEnd(error, now) };
  if (isDuplicate(error)) return { kind: 'duplicate', message };
  if (status === 401 || error.isAuthError) return { kind: 'auth', message };
  if (status === 403 && isAppForbidden(error)) return { kind: 'auth', message };
  if (status >= 500 || status === 408) return { kind: 'retry', message };
  return { kind: 'permanent', message };
}

/**
 * When the exhausted window reopens: the 15-minute window (`x-rate-limit-reset`), or the
 * 24-hour app or user window when that one is spent (posting caps are per day).
 */
function rateLimitEnd(error: ApiResponseError, now: Date): Date {
  const limits = error.rateLimit;
  const resets: number[] = [];
  if (limits) {
    if (Number.isFinite(limits.reset) && limits.reset > 0) resets.push(limits.reset);
    for (const daily of [limits.day, limits.userDay]) {
      if (daily && daily.remaining === 0 && Number.isFinite(daily.reset)) resets.push(daily.reset);
    }
  }
  const latest = resets.length > 0 ? Math.max(...resets) * 1000 : Number.NaN;
  // A reset already past (clock skew, or a header we could not read) still waits a little.
  if (!Number.isFinite(latest)) return new Date(now.getTime() + X_RATE_LIMIT_FALLBACK_MS);
  return new Date(Math.max(latest, now.getTime() + 1000));
}

function isDuplicate(error: ApiResponseError): boolean {
  if (error.code !== 403 && error.code !== 400) return false;
  if (hasV1Code(error, EApiV1ErrorCode.DuplicatedTweet)) return true;
  return DUPLICATE.test(describeData(error));
}

/** X's own words: v2's `title`/`detail`, v1.1's `errors[].message`, or an `error` string. */
function describeData(error: ApiResponseError): string {
  const data: unknown = error.data;
  if (typeof data === 'string') return data.slice(0, 300);
  if (!data || typeof data !== 'object') return '';
  const { title, detail, error: single, errors } = data as Record<string, unknown>;
  const parts = [title, detail, single].filter((part): part is string => typeof part === 'string' && part !== '');
  if (Array.isArray(errors)) {
    for (const item of errors) {
      if (item && typeof item === 'object' && typeof (item as { message?: unknown }).message === 'string') {
        parts.push((item as { message: string }).message);
      }
    }
  }
  return [...new Set(parts)].join(': ').slice(0, 500);
}

function isAppForbidden(error: ApiResponseError): boolean {
  const data: unknown = error.data;
  if (!data || typeof data !== 'object') return false;
  const { type, reason } = data as Record<string, unknown>;
  if (typeof type === 'string' && AUTH_FORBIDDEN_TYPE.test(type)) return true;
  return (typeof reason === 'string' && AUTH_FORBIDDEN_DETAIL.test(reason)) || AUTH_FORBIDDEN_DETAIL.test(describeData(error));
}

function hasV1Code(error: ApiResponseError, code: number): boolean {
  try {
    return error.hasErrorCode(code);
  } catch {
    return false; // `errors` that are not objects: not X's format, so not that code
  }
}

/**
 * The network error behind an `ApiRequestError`. twitter-api-v2 1.29 stores it as `error` but
 * reads `requestError` back, so the getter is empty; both are tried.
 */
function requestCause(error: ApiRequestError): unknown {
  const stored = (error as unknown as { _options?: { error?: unknown } })._options;
  return error.requestError ?? stored?.error;
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code ? `${code} ${cause.message}` : cause.message;
  }
  return 'unknown error';
}
