/**
 * The fast path for the requests that dominate traffic: feed readers polling a feed that is
 * already cached. Answered straight on the node:http server, before Fastify's routing, with
 * the same bytes and headers the Fastify route would send (both use `feedResponse`). Anything
 * else — an uncached or unknown feed, a query string, another method — goes to Fastify.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { categoryFeedKey, feedKey, MAX_CATEGORY_SLUG_LENGTH } from './document.js';
import type { FeedFormat } from './render.js';
import { FEED_FILE_NAMES } from './urls.js';
import type { FeedCache } from './cache.js';
import { feedResponse } from './served-feed.js';

const SITE_PATHS = new Map(
  (Object.entries(FEED_FILE_NAMES) as Array<[FeedFormat, string]>).map(([format, file]) => [`/${file}`, feedKey(format)]),
);
const FORMAT_BY_FILE = new Map((Object.entries(FEED_FILE_NAMES) as Array<[FeedFormat, string]>).map(([format, file]) => [file, format]));
const CATEGORY_PATH = /^\/categories\/([^/?#]+)\/([a-z]+\.(?:xml|json))$/;
/** A slug percent-encodes to at most 9 characters per UTF-16 code unit (`%XX` × 3). */
const MAX_ENCODED_SLUG_LENGTH = MAX_CATEGORY_SLUG_LENGTH * 9;

/** The cache key `url` names, or undefined for anything Fastify must answer (including every error). */
function keyFor(url: string): string | undefined {
  const site = SITE_PATHS.get(url);
  if (site !== undefined) return site;
  if (!url.startsWith('/categories/') || url.length > MAX_ENCODED_SLUG_LENGTH + 32) return undefined;
  const match = CATEGORY_PATH.exec(url);
  if (!match) return undefined;
  const format = FORMAT_BY_FILE.get(match[2]!);
  if (!format) return undefined;
  try {
    return categoryFeedKey(format, decodeURIComponent(match[1]!));
  } catch {
    return undefined;
  }
}

/** Answers `request` from the cache and returns true, or returns false to hand it to Fastify. */
export function serveCachedFeed(cache: FeedCache, request: IncomingMessage, response: ServerResponse): boolean {
  if ((request.method !== 'GET' && request.method !== 'HEAD') || request.url === undefined) return false;
  const key = keyFor(request.url);
  if (key === undefined) return false;
  const feed = cache.peek(key);
  if (!feed) return false;
  const answer = feedResponse(feed, request.headers);
  response.writeHead(answer.status, answer.headers);
  response.end(request.method === 'HEAD' ? undefined : answer.body);
  return true;
}
