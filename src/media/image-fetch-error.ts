/**
 * Why fetching an article's image failed, as one small typed error (STYLE "BullMQ"): callers
 * branch on `reason`, never on message text.
 */

/** The reasons {@link ImageFetchError} carries. */
export type ImageFetchFailure =
  /** Not an absolute http(s) URL. */
  | 'invalid_url'
  /** The host is, or resolves to, a private, loopback, link-local or otherwise non-public address. */
  | 'private_address'
  /** Content-Length or the streamed body passed `maxBytes`. */
  | 'too_large'
  /** The whole fetch (DNS, connect, redirects, body) took longer than `timeoutMs`. */
  | 'timeout'
  /** A status other than 200/203 (redirects are followed), or a redirect without Location. */
  | 'http_status'
  /** Not an image: the Content-Type is not image/*, or the bytes are not a known image format. */
  | 'not_an_image'
  /** An image we will not decode: SVG (scripts, external references) or a format outside our list. */
  | 'unsupported_type'
  /** More than `maxRedirects` redirects. */
  | 'too_many_redirects'
  /** DNS failure, refused connection, reset, TLS failure. */
  | 'network';

/** A failed {@link fetchImage}: `reason` says which kind, the message says what exactly. */
export class ImageFetchError extends Error {
  /**
   * Whether the same URL may work later: time-outs, network failures, 5xx and 429. Everything
   * else (a 404, an HTML page, a private address) needs a different URL.
   */
  readonly retryable: boolean;

  constructor(
    readonly reason: ImageFetchFailure,
    message: string,
    /** The HTTP status, for `http_status`. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ImageFetchError';
    this.retryable =
      reason === 'timeout' ||
      reason === 'network' ||
      (reason === 'http_status' && status !== undefined && (status >= 500 || status === 429));
  }
}
