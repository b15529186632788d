/**
 * Public feeds, served from bytes the feeds worker rendered and stored: never rendered per
 * request. Pre-compressed bodies, strong ETags per coding, 304 on matching validators.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { categoryFeedKey, feedKey } from './document.js';
import type { FeedFormat } from './render.js';
import { FEED_FILE_NAMES } from './urls.js';
import { AppError } from '../../errors.js';
import type { FeedCache } from './cache.js';
import { feedResponse, type ServedFeed } from './served-feed.js';

export interface FeedRoutesOptions {
  cache: FeedCache;
}

/** Feed readers poll; a minute of caching spares them and us, and 304s make the rest cheap. */
export const FEED_CACHE_CONTROL = 'public, max-age=60';

export const feedRoutes: FastifyPluginAsync<FeedRoutesOptions> = async (app, { cache }) => {
  function respond(request: FastifyRequest, reply: FastifyReply, feed: ServedFeed | null) {
    if (!feed) throw new AppError('NOT_FOUND', 'no such feed');
    const answer = feedResponse(feed, request.headers);
    return reply.status(answer.status).headers(answer.headers).send(answer.body);
  }

  // Synchronous when the feed is cached: this is the path every poll of every reader takes.
  function serve(request: FastifyRequest, reply: FastifyReply, key: string) {
    const cached = cache.peek(key);
    if (cached !== undefined) return respond(request, reply, cached);
    return cache.get(key).then((feed) => respond(request, reply, feed));
  }

  for (const [format, fileName] of Object.entries(FEED_FILE_NAMES) as Array<[FeedFormat, string]>) {
    const siteKey = feedKey(format);
    app.get(`/${fileName}`, (request, reply) => serve(request, reply, siteKey));
    app.get<{ Params: { slug: string } }>(`/categories/:slug/${fileName}`, (request, reply) => {
      // The router decoded the slug: `a%2Fb`, an empty or an over-long one names no category,
      // and is refused before the cache or the database sees it.
      const key = categoryFeedKey(format, request.params.slug);
      if (key === undefined) throw new AppError('NOT_FOUND', 'no such feed');
      return serve(request, reply, key);
    });
  }
};
