/**
 * Bluesky's errors, as `@atproto/api` throws them, sorted into what the ledger acts on (SPEC §4).
 *
 * The library throws `XRPCError`: `status` is the HTTP status, or 1 (no answer: DNS, reset,
 * time-out) or 2 (an answer that is not what the lexicon promises); `error` is the PDS's error
 * name (`ExpiredToken`, `RecordNotFound`…); `headers` hold the answer's headers, lower-cased.
 * What the PDS answers (bluesky-social/atproto, packages/pds): a wrong app password is 401
 * `AuthenticationRequired`; an expired access token 400 `ExpiredToken` (the session refreshes it
 * before this classifier sees it); a rate limit 429 `RateLimitExceeded` with `ratelimit-reset` in
 * unix seconds; an invalid record 400 `InvalidRequest`; a record key already taken 500, because
 * the PDS's repository tree throws "There is already a value at key" and hides the message.
 */
import { XRPCError } from '@atproto/api';
import type { ErrorClass } from '../channel.js';

/** How long to wait after a 429 that names no reset time. */
export const BLUESKY_RATE_LIMIT_FALLBACK_MS = 60_000;

/** The article's image cannot be a link card's thumb (too large, not an image): sending again will not help. */
export class BlueskyImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlueskyImageError';
  }
}

/** Every record key of the article holds another article's post (see `record-key.ts`). */
export class BlueskyRecordKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlueskyRecordKeyError';
  }
}

// Names under which the PDS refuses credentials or the account behind them.
const AUTH_ERRORS = new Set([
  'AuthenticationRequired',
  'AuthMissing',
  'ExpiredToken',
  'InvalidToken',
  'AccountTakedown',
  'AccountDeactivated',
  'AuthFactorTokenRequired',
]);
// A PDS that reports a taken record key in words (the reference PDS answers a bare 500).
const ALREADY_EXISTS = /already exists|already a value at key/i;

/** Classifies anything the Bluesky client threw; `now` anchors rate-limit waits. */
export function classifyBlueskyError(error: unknown, now: Date): ErrorClass {
  if (error instanceof BlueskyImageError || error instanceof BlueskyRecordKeyError) return { kind: 'permanent', message: error.message };
  if (error instanceof XRPCError) return classifyXrpcError(error, now);
  return { kind: 'retry', message: `Bluesky request failed: ${describeCauses(error)}` };
}

function classifyXrpcError(error: XRPCError, now: Date): ErrorClass {
  const status = error.status;
  if (status < 100) {
    // 1: no answer at all; 2: an answer we could not read. Either way the write may have happened.
    const what = status === 2 ? 'Bluesky answered what its lexicon does not allow' : 'Bluesky did not answer';
    return { kind: 'retry', message: `${what}: ${describeCauses(error)}` };
  }
  const message = `Bluesky answered ${status} ${error.error}: ${error.message}`;
  if (status === 429) return { kind: 'rate_limited', message, until: rateLimitEnd(error.headers ?? {}, now) };
  if (ALREADY_EXISTS.test(error.message)) return { kind: 'duplicate', message };
  if (status === 401 || AUTH_ERRORS.has(error.error)) return { kind: 'auth', message };
  // The library maps statuses it has no name for onto 400 or 500, so 408 reads as 400 here.
  if (status >= 500) return { kind: 'retry', message };
  return { kind: 'permanent', message };
}

/** When the exhausted window reopens: `ratelimit-reset` (unix seconds), else `retry-after`, else a minute. */
function rateLimitEnd(headers: Record<string, string | undefined>, now: Date): Date {
  const reset = Number(headers['ratelimit-reset']);
  let end = Number.isFinite(reset) && reset > 0 ? reset * 1000 : Number.NaN;
  const retryAfter = headers['retry-after'];
  if (Number.isNaN(end) && retryAfter !== undefined) {
    end = /^\d+$/.test(retryAfter.trim()) ? now.getTime() + Number(retryAfter) * 1000 : Date.parse(retryAfter);
  }
  if (!Number.isFinite(end)) return new Date(now.getTime() + BLUESKY_RATE_LIMIT_FALLBACK_MS);
  // A reset already past (clock skew) still waits a little.
  return new Date(Math.max(end, now.getTime() + 1000));
}

/** "fetch failed: other side closed": the error's message and its causes', with system codes. */
function describeCauses(error: unknown): string {
  const parts: string[] = [];
  for (let cause = error, depth = 0; cause !== undefined && cause !== null && depth < 5; depth++) {
    if (!(cause instanceof Error)) {
      parts.push(String(cause));
      break;
    }
    const code = (cause as NodeJS.ErrnoException).code;
    const text = code && !cause.message.includes(code) ? `${code} ${cause.message}` : cause.message;
    if (text !== '' && !parts.includes(text)) parts.push(text);
    cause = cause.cause;
  }
  return parts.join(': ') || 'unknown error';
}
