/**
 * Instagram's own failures and their classification: the publishing quota, a container that
 * never became publishable, the image step, and the Instagram API's codes beyond the shared
 * Graph table (Meta's "Instagram Error Codes" page).
 */
import type { ErrorClass } from '../channel.js';
import { classifyGraphError, isNetworkError, rateLimited, type ClassifyOptions } from '../graph/classify.js';
import { GraphApiError } from '../graph/errors.js';

/** The account has published its quota of posts through the API in the rolling window. */
export class PublishingQuotaError extends Error {
  override readonly name = 'PublishingQuotaError';

  constructor(
    readonly usage: number,
    readonly total: number,
    /** When the window has certainly moved past every counted post. */
    readonly until: Date,
  ) {
    super(`Instagram publishing quota used: ${usage} of ${total} posts in the window; waiting until ${until.toISOString()}`);
  }
}

/** A container ended in `ERROR` or `EXPIRED`: this container will never publish. */
export class ContainerFailedError extends Error {
  override readonly name = 'ContainerFailedError';

  constructor(
    readonly containerId: string,
    readonly statusCode: string,
    /** Instagram's `status` field: the error's explanation, when given. */
    readonly status: string | undefined,
  ) {
    super(`Instagram container ${containerId} is ${statusCode}${status ? `: ${status}` : ''}`);
  }
}

/** A container still was not `FINISHED` after the last poll: try again later. */
export class ContainerNotReadyError extends Error {
  override readonly name = 'ContainerNotReadyError';

  constructor(
    readonly containerId: string,
    readonly statusCode: string,
    polls: number,
  ) {
    super(`Instagram container ${containerId} still ${statusCode} after ${polls} polls`);
  }
}

/** The container was published, but its media is not among the account's recent posts. */
export class PublishedButNotFoundError extends Error {
  override readonly name = 'PublishedButNotFoundError';

  constructor(readonly containerId: string) {
    super(`Instagram container ${containerId} is PUBLISHED but its post is not among the recent media: record it by hand`);
  }
}

/** The image step (`prepareImage`) failed. */
export class ImagePreparationError extends Error {
  override readonly name = 'ImagePreparationError';

  constructor(cause: unknown) {
    super(`Instagram image: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Something failed after the container was made: carries its id, so it can be recorded and checked. */
export class InstagramPublishError extends Error {
  override readonly name = 'InstagramPublishError';

  constructor(
    readonly containerId: string,
    cause: unknown,
  ) {
    super(`container ${containerId}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** The container id an error from `send` is about, when the container had been made. */
export function containerIdOf(error: unknown): string | null {
  if (error instanceof InstagramPublishError || error instanceof ContainerFailedError || error instanceof ContainerNotReadyError) {
    return error.containerId;
  }
  return null;
}

/** How long to wait when publishing answers "quota reached" (the next send reads the quota itself). */
export const QUOTA_RECHECK_MS = 60 * 60_000;

function classifyInstagramApiError(error: GraphApiError, options: ClassifyOptions): ErrorClass | null {
  const { code, subcode, message } = error;
  // 9/2207042: "reached the maximum number of posts allowed through the API".
  if (code === 9 && subcode === 2207042) return rateLimited(error, { ...options, rateLimitBackoffMs: QUOTA_RECHECK_MS });
  // 4/2207051: the action was restricted as suspected spam; code 4 alone would read as a rate limit.
  if (code === 4 && subcode === 2207051) return { kind: 'permanent', message: `blocked: ${message}` };
  // -1, -2: Instagram server errors and media download time-outs; 9007: media not ready yet.
  if (code === -1 || code === -2 || code === 9007) return { kind: 'retry', message };
  return null;
}

/** Classifies anything the Instagram channel threw. */
export function classifyInstagramError(error: unknown, options: ClassifyOptions = {}): ErrorClass {
  const now = options.now?.() ?? new Date();
  if (error instanceof InstagramPublishError) {
    const inner = classifyInstagramError(error.cause, options);
    return { ...inner, message: error.message };
  }
  if (error instanceof PublishingQuotaError) return { kind: 'rate_limited', message: error.message, until: error.until };
  if (error instanceof ContainerFailedError || error instanceof PublishedButNotFoundError)
    return { kind: 'permanent', message: error.message };
  if (error instanceof ContainerNotReadyError) return { kind: 'retry', message: error.message };
  if (error instanceof ImagePreparationError) {
    return isNetworkError(error.cause) ? { kind: 'retry', message: error.message } : { kind: 'permanent', message: error.message };
  }
  if (error instanceof GraphApiError) {
    const specific = classifyInstagramApiError(error, { ...options, now: () => now });
    if (specific) return specific;
  }
  return classifyGraphError(error, { ...options, now: () => now });
}
