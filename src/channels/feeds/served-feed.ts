/**
 * A stored feed document with everything a response needs computed once, when it enters the
 * cache, instead of on every request: bodies and headers per content-coding.
 */
import type { FeedDocument } from '../../store/feed-documents.js';
import type { IncomingHttpHeaders } from 'node:http';
import { chooseCoding, isNotModified, representationEtag, type Coding } from '../../http/conditional.js';

export interface ServedFeed {
  document: FeedDocument;
  body: Record<Coding, Buffer>;
  /** Headers of a 200 answer, per coding. */
  headers: Record<Coding, Record<string, string>>;
  /** Headers of a 304 answer, per coding (RFC 9110 §15.4.5: the validators and caching fields). */
  notModifiedHeaders: Record<Coding, Record<string, string>>;
  /** The ETag of each coding's representation, as a reader echoes it in If-None-Match. */
  etags: Record<Coding, string>;
}

const CODINGS: readonly Coding[] = ['identity', 'gzip', 'br'];

export function prepareFeed(document: FeedDocument, cacheControl: string): ServedFeed {
  const lastModified = document.lastModified.toUTCString();
  const body = { identity: document.body, gzip: document.gzip, br: document.brotli };
  const headers = {} as ServedFeed['headers'];
  const notModifiedHeaders = {} as ServedFeed['notModifiedHeaders'];
  const etags = {} as ServedFeed['etags'];
  for (const coding of CODINGS) {
    etags[coding] = representationEtag(document.etag, coding);
    const common = {
      etag: etags[coding],
      'last-modified': lastModified,
      'cache-control': cacheControl,
      vary: 'Accept-Encoding',
    };
    notModifiedHeaders[coding] = common;
    headers[coding] = {
      ...common,
      'content-type': document.contentType,
      'x-content-type-options': 'nosniff',
      ...(coding === 'identity' ? {} : { 'content-encoding': coding }),
      // Here once, not per request: a HEAD answer carries it too (RFC 9110 §8.6).
      'content-length': String(body[coding].length),
    };
  }
  return { document, body, headers, notModifiedHeaders, etags };
}

export interface FeedResponse {
  status: 200 | 304;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

/** The answer to a GET of `feed`: the right coding, or 304 when the client's copy is current. */
export function feedResponse(feed: ServedFeed, request: IncomingHttpHeaders): FeedResponse {
  const coding = chooseCoding(request['accept-encoding']);
  // A reader echoing the ETag it was sent for this coding (nearly every poll): one comparison.
  if (request['if-none-match'] === feed.etags[coding] || isNotModified(request, feed.document.etag, feed.document.lastModified)) {
    return { status: 304, headers: feed.notModifiedHeaders[coding], body: undefined };
  }
  return { status: 200, headers: feed.headers[coding], body: feed.body[coding] };
}
