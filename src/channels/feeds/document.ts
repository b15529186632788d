/**
 * A rendered feed as it is stored and served: identity, gzip and brotli bodies with a strong
 * validator, computed once when the feed is rebuilt, never per request (SPEC §3).
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { FeedFormat } from './feed-model.js';
import { FEED_CONTENT_TYPES } from './render.js';
import type { FeedDocument } from '../../domain/feed-document.js';

export type { FeedDocument };

// The callback forms run in libuv's thread pool: a rebuild in a process that also serves HTTP
// (`syndicate start`) must not stall it for the seconds a multi-megabyte feed takes to compress.
const gzipAsync = promisify(gzip);
const brotliCompressAsync = promisify(brotliCompress);

/**
 * The strong validator of a feed's text: 27 base64url characters of its SHA-256 (162 bits, far
 * beyond any chance of two feeds colliding), the same whatever the encoding it is sent in.
 */
export function feedEtag(identity: Buffer): string {
  return `"${createHash('sha256').update(identity).digest('base64url').slice(0, 27)}"`;
}

/**
 * Builds the stored form of a rendered feed, with one ETag for the feed text whatever the
 * encoding, so a reader's If-None-Match matches after switching encodings. Strictly, RFC 9110
 * wants a strong validator per representation; that only matters for Range requests, which the
 * HTTP layer must therefore refuse for the compressed bodies (or suffix the ETag per encoding).
 * Compression happens off the event loop (see above). `etag`, when the caller has it already,
 * must be {@link feedEtag} of the body.
 */
export async function buildFeedDocument(
  key: string,
  format: FeedFormat,
  body: string | Buffer,
  lastModified: Date,
  etag?: string,
): Promise<FeedDocument> {
  const identity = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const [gzipped, brotli] = await Promise.all([
    // Level 6 (zlib's default), not 9: on a 160 KB feed of prose, 9 took 2.7× as long (37 ms
    // against 14) for 0.3% fewer bytes, and every rebuild sits on the publish → feed path.
    gzipAsync(identity, { level: 6 }),
    brotliCompressAsync(identity, {
      params: {
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        // Quality 5: 11 takes ~20× longer (66 ms for a 100 KB feed) for ~20% fewer bytes, and 6
        // took 1.4× as long as 5 (on 160 KB of prose: 9.8 ms against 6.8) for 0.5% fewer.
        [constants.BROTLI_PARAM_QUALITY]: 5,
        [constants.BROTLI_PARAM_SIZE_HINT]: identity.length,
      },
    }),
  ]);
  return {
    key,
    contentType: FEED_CONTENT_TYPES[format],
    body: identity,
    gzip: gzipped,
    brotli,
    etag: etag ?? feedEtag(identity),
    lastModified: new Date(Math.floor(lastModified.getTime() / 1000) * 1000),
  };
}

/**
 * Longest category slug a feed URL may name. Slugs are made at most 80 characters long
 * (`slugify`); the margin keeps feeds reachable if that ever grows, and anything longer is
 * refused before the cache or the database sees it.
 */
export const MAX_CATEGORY_SLUG_LENGTH = 200;

/** True when `slug` could be a category's slug: non-empty, no `/`, at most {@link MAX_CATEGORY_SLUG_LENGTH}. */
export function isCategorySlug(slug: string): boolean {
  return slug !== '' && slug.length <= MAX_CATEGORY_SLUG_LENGTH && !slug.includes('/');
}

/** The storage key of a feed: `site/rss`, or `category/<slug>/atom` for a category feed. */
export function feedKey(format: FeedFormat, categorySlug?: string): string {
  if (categorySlug === undefined) return `site/${format}`;
  if (categorySlug === '' || categorySlug.includes('/')) {
    throw new RangeError(`not a category slug: ${JSON.stringify(categorySlug)}`);
  }
  return `category/${categorySlug}/${format}`;
}

/**
 * The key of the category feed a URL names (`slug` as the URL gave it, decoded), or undefined
 * when no category can have that slug: for requests, where a stranger picks the slug.
 */
export function categoryFeedKey(format: FeedFormat, slug: string): string | undefined {
  const lower = slug.toLowerCase();
  return isCategorySlug(lower) ? feedKey(format, lower) : undefined;
}
