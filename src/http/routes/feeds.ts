/**
 * Public feeds, served from bytes the feeds worker rendered and stored: never rendered per
 * request. Pre-compressed bodies, strong ETags per coding, 304 on matching validators.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { feedKey } from '../../channels/feeds/document.js';
import type { FeedFormat } from '../../channels/feeds/render.js';
import { FEED_FILE_NAMES } from '../../channels/feeds/urls.js';
import { AppError } from '../../errors.js';
import { chooseCoding, isNotModified } from '../conditional.js';
import type { FeedCache } from '../feed-cache.js';

export interface FeedRoutesOptions {
  cache: FeedCache;
}

/** Feed readers poll; a minute of caching spares them and us, and 304s make the rest cheap. */
export const FEED_CACHE_CONTROL = 'public, max-age=60';

export const feedRoutes: FastifyPluginAsync<FeedRoutesOptions> = async (app, { cache }) => {
  async function serve(request: FastifyRequest, reply: FastifyReply, key: string) {
    const feed = await cache.get(key);
    if (!feed) throw new AppError('NOT_FOUND', 'no such feed');
    const coding = chooseCoding(request.headers['accept-encoding']);
    if (isNotModified(request.headers, feed.document.etag, feed.document.lastModified)) {
      return reply.status(304).headers(feed.notModifiedHeaders[coding]).send();
    }
    return reply.headers(feed.headers[coding]).send(feed.body[coding]);
  }

  for (const [format, fileName] of Object.entries(FEED_FILE_NAMES) as Array<[FeedFormat, string]>) {
    const siteKey = feedKey(format);
    app.get(`/${fileName}`, (request, reply) => serve(request, reply, siteKey));
    app.get<{ Params: { slug: string } }>(`/categories/:slug/${fileName}`, (request, reply) =>
      serve(request, reply, feedKey(format, request.params.slug.toLowerCase())),
    );
  }
};
