/**
 * The one catalogue of error codes (as Fastify's lib/errors.js): each code with its HTTP
 * status. The API answers `{ error: { code, message, details } }`; the CLI prints the same.
 * Every code is documented in the README (a test checks).
 */

export const ERROR_CODES = {
  ARTICLE_INVALID: 400,
  ARTICLE_ID_MISMATCH: 400,
  BODY_INVALID: 400,
  QUERY_INVALID: 400,
  SUBSCRIPTION_INVALID: 400,
  /** A confirm or unsubscribe link's token; TOKEN_INVALID (401) is the publisher's bearer token. */
  SUBSCRIPTION_TOKEN_INVALID: 400,
  TOKEN_MISSING: 401,
  TOKEN_INVALID: 401,
  /** A bounce or complaint webhook whose signature is wrong, stale or replayed, or whose sender is not ours (Mailgun, SES). */
  WEBHOOK_UNVERIFIED: 401,
  ARTICLE_NOT_FOUND: 404,
  NOT_FOUND: 404,
  ARTICLE_RETRACTED: 409,
  ARTICLE_CONFLICT: 409,
  TOKEN_EXPIRED: 410,
  BODY_TOO_LARGE: 413,
  CONTENT_TYPE_UNSUPPORTED: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorDetail {
  field?: string;
  message: string;
}

/** An error the caller can act on: a code from the catalogue, a message, optional details. */
export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'AppError';
    this.status = ERROR_CODES[code];
  }

  toJSON(): { error: { code: ErrorCode; message: string; details: ErrorDetail[] } } {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

/** The ARTICLE_INVALID error for a list of field problems. */
export function articleInvalid(problems: ErrorDetail[]): AppError {
  return new AppError('ARTICLE_INVALID', `invalid article: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, problems);
}
