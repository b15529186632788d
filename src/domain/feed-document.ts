/** A rendered feed as it is stored and served. No I/O. */
export interface FeedDocument {
  /** Where it is stored: 'site/rss', 'category/<slug>/atom'… */
  key: string;
  contentType: string;
  /** The identity (uncompressed) UTF-8 body. */
  body: Buffer;
  gzip: Buffer;
  brotli: Buffer;
  /** Strong validator of the identity body: a quoted base64url SHA-256 prefix, never `W/`. */
  etag: string;
  /** Whole seconds: HTTP dates cannot carry milliseconds, and If-Modified-Since must compare equal. */
  lastModified: Date;
}
