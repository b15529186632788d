/**
 * Graph API failures → the few kinds the ledger acts on (STYLE: Postiz's classified errors).
 * The codes are Meta's "Handling Errors" and "Rate Limits" tables:
 *
 * | code | meaning | kind |
 * |---|---|---|
 * | 1, 2 | API unknown / service: temporary | retry |
 * | 4, 17, 32, 613, 341; 80000–80014 | app, user, Page, custom-level and BUC throttling | rate_limited |
 * | 190, 102 | access token expired, revoked or invalid / session | auth |
 * | 3, 10, 200–299 | capability or permission missing | auth (someone must grant it) |
 * | 368 | temporarily blocked for policy violations | permanent ("blocked") |
 * | 506 | duplicate post | duplicate |
 * | other, `is_transient: true` or HTTP 5xx | | retry |
 * | network failure, time-out, unreadable success | | retry |
 * | anything else | | permanent |
 *
 * Retrying after a lost answer is safe because the ledger looks for the post (`find`) first.
 */
import type { ErrorClass } from '../channel.js';
import { GraphApiError, GraphNetworkError, GraphResponseError } from './errors.js';

/** Options of {@link classifyGraphError}. */
export interface ClassifyOptions {
  /** The clock. @defaultValue () => new Date() */
  now?: () => Date;
  /** Wait after a rate limit when the usage headers give no estimate. @defaultValue 300000 (5 minutes) */
  rateLimitBackoffMs?: number;
}

/** @defaultValue for {@link ClassifyOptions.rateLimitBackoffMs} */
export const DEFAULT_RATE_LIMIT_BACKOFF_MS = 5 * 60_000;

const RETRY_CODES = new Set([1, 2]);
const RATE_LIMIT_CODES = new Set([4, 17, 32, 341, 613]);
const AUTH_CODES = new Set([102, 190]);
const PERMISSION_CODES = new Set([3, 10]);
const DUPLICATE_CODE = 506;
const BLOCKED_CODE = 368;

/** Business Use Case throttles: 80000 (ads insights), 80001 (Pages), 80002 (Instagram) … 80014. */
export function isBusinessUseCaseThrottle(code: number | undefined): boolean {
  return code !== undefined && code >= 80_000 && code <= 80_014;
}

/** True for codes meaning "a permission or capability is missing" (3, 10, 200–299). */
export function isPermissionCode(code: number | undefined): boolean {
  return code !== undefined && (PERMISSION_CODES.has(code) || (code >= 200 && code <= 299));
}

/** True for every Graph code meaning "throttled: wait". */
export function isRateLimitCode(code: number | undefined): boolean {
  return code !== undefined && (RATE_LIMIT_CODES.has(code) || isBusinessUseCaseThrottle(code));
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

/** True for errors that mean "no answer" from any HTTP client: time-outs, resets, DNS, `fetch failed`. */
export function isNetworkError(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (current instanceof GraphNetworkError) return true;
    if (current.name === 'TimeoutError' || current.name === 'AbortError') return true;
    if (current instanceof TypeError && current.message === 'fetch failed') return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR_'))) return true;
  }
  return false;
}

/** The rate-limit outcome for `error`: until the usage headers' estimate, else now plus the back-off. */
export function rateLimited(error: GraphApiError, options: ClassifyOptions = {}): ErrorClass {
  const now = options.now?.() ?? new Date();
  const until = error.backoffUntil(now) ?? new Date(now.getTime() + (options.rateLimitBackoffMs ?? DEFAULT_RATE_LIMIT_BACKOFF_MS));
  return { kind: 'rate_limited', message: error.message, until };
}

function classifyApiError(error: GraphApiError, options: ClassifyOptions): ErrorClass {
  const code = error.code;
  const message = error.message;
  if (code === DUPLICATE_CODE) return { kind: 'duplicate', message };
  if (code === BLOCKED_CODE) return { kind: 'permanent', message: `blocked: ${message}` };
  if (code !== undefined && AUTH_CODES.has(code)) return { kind: 'auth', message };
  if (isPermissionCode(code)) return { kind: 'auth', message: `permission missing: ${message}` };
  if (isRateLimitCode(code) || error.status === 429) return rateLimited(error, options);
  if (code !== undefined && RETRY_CODES.has(code)) return { kind: 'retry', message };
  if (error.isTransient === true || error.status >= 500) return { kind: 'retry', message };
  return { kind: 'permanent', message };
}

/** Classifies anything a Graph call threw (see the table above). */
export function classifyGraphError(error: unknown, options: ClassifyOptions = {}): ErrorClass {
  if (error instanceof GraphApiError) return classifyApiError(error, options);
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof GraphResponseError || isNetworkError(error)) return { kind: 'retry', message };
  return { kind: 'permanent', message };
}
