/**
 * What a Graph API call can throw. Small typed errors (STYLE: BullMQ's habit) that
 * `classify.ts` turns into ledger outcomes. None of them carries the access token: messages
 * name the method and the path, never the URL with its query.
 */
import { backoffUntil, type GraphUsage } from './usage.js';

/** The request an error is about: method and path (no query, so no token). */
export interface GraphRequestInfo {
  method: string;
  path: string;
}

/** The fields of Graph's `{"error": {...}}` body. */
export interface GraphErrorBody {
  message: string;
  type: string | undefined;
  code: number | undefined;
  subcode: number | undefined;
  fbtraceId: string | undefined;
  /** Graph's own hint (`is_transient`), sent by the Instagram API among others. */
  isTransient: boolean | undefined;
  /** The user-facing explanation (`error_user_msg`), when Graph gives one. */
  userMessage: string | undefined;
}

/** Graph answered with an error: `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}` or a bare HTTP error. */
export class GraphApiError extends Error {
  override readonly name = 'GraphApiError';
  /** HTTP status. */
  readonly status: number;
  readonly code: number | undefined;
  /** `error_subcode`. */
  readonly subcode: number | undefined;
  /** `type`, e.g. `OAuthException`. */
  readonly type: string | undefined;
  /** `fbtrace_id`: quote it to Meta support. */
  readonly fbtraceId: string | undefined;
  readonly isTransient: boolean | undefined;
  readonly userMessage: string | undefined;
  /** The usage headers of the failed response. */
  readonly usage: GraphUsage;
  readonly request: GraphRequestInfo;

  constructor(status: number, body: GraphErrorBody, usage: GraphUsage, request: GraphRequestInfo) {
    const codes = body.code === undefined ? '' : ` (code ${body.code}${body.subcode === undefined ? '' : `/${body.subcode}`})`;
    super(`Graph ${request.method} ${request.path}: HTTP ${status}${codes}: ${body.message}`);
    this.status = status;
    this.code = body.code;
    this.subcode = body.subcode;
    this.type = body.type;
    this.fbtraceId = body.fbtraceId;
    this.isTransient = body.isTransient;
    this.userMessage = body.userMessage;
    this.usage = usage;
    this.request = request;
  }

  /** When the usage headers say the caller may call again; null when they give no estimate. */
  backoffUntil(now: Date): Date | null {
    return backoffUntil(this.usage, now);
  }
}

/** No answer: the connection failed or the time-out struck. The request may or may not have been acted on. */
export class GraphNetworkError extends Error {
  override readonly name = 'GraphNetworkError';
  readonly request: GraphRequestInfo;
  /** True when our own time-out aborted the request. */
  readonly timedOut: boolean;

  constructor(request: GraphRequestInfo, timedOut: boolean, cause: unknown) {
    const reason = timedOut ? 'timed out' : `failed: ${describeCause(cause)}`;
    super(`Graph ${request.method} ${request.path} ${reason}`, { cause });
    this.request = request;
    this.timedOut = timedOut;
  }
}

/** A successful status with a body we cannot use (not JSON, or a field missing). */
export class GraphResponseError extends Error {
  override readonly name = 'GraphResponseError';
  readonly request: GraphRequestInfo;

  constructor(request: GraphRequestInfo, problem: string) {
    super(`Graph ${request.method} ${request.path}: unexpected answer: ${problem}`);
    this.request = request;
  }
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = cause.cause instanceof Error ? `: ${cause.cause.message}` : '';
  return `${cause.message}${inner}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numberOrUndefined(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  // Some endpoints send codes as strings.
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return undefined;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Reads Graph's error body; null when `body` holds no `error` object. */
export function readGraphErrorBody(body: unknown): GraphErrorBody | null {
  if (!isRecord(body) || !isRecord(body.error)) return null;
  const error = body.error;
  return {
    message: stringOrUndefined(error.message) ?? 'no message',
    type: stringOrUndefined(error.type),
    code: numberOrUndefined(error.code),
    subcode: numberOrUndefined(error.error_subcode),
    fbtraceId: stringOrUndefined(error.fbtrace_id),
    isTransient: typeof error.is_transient === 'boolean' ? error.is_transient : undefined,
    userMessage: stringOrUndefined(error.error_user_msg),
  };
}
