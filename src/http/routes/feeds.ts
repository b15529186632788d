/**
 * Public feeds, served from bytes the feeds worker rendered and stored: never rendered per
 * request. Pre-compressed bodies, strong ETags per coding, 304 on matching validators.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { feedKey } from '../../channels/feeds/document.js';
import type { FeedFormat } from '../../channels/feeds/render.js';
import { FEED_FILE_NAMES } from '../../channels/feeds/urls.js';
import { AppError } from '../../errors.js';
import { chooseCoding, isNotModified, representationEtag } from '../conditional.js';
import type { FeedCache } from '../feed-cache.js';

export interface FeedRoutesOptions {
  cache: FeedCache;
  /** Cache-Control max-age in seconds. @defaultValue 60 */
  maxAgeSeconds?: number;
}

export const feedRoutes: FastifyPluginAsync<FeedRoutesOptions> = async (app, { cache, maxAgeSeconds = 60 }) => {
  const cacheControl = `public, max-age=${maxAgeSeconds}`;

  async function serve(request: FastifyRequest, reply: FastifyReply, key: string) {
    const document = await cache.get(key);
    if (!document) throw new AppError('NOT_FOUND', 'no such feed');
    const coding = chooseCoding(request.headers['accept-encoding']);
    reply
      .header('etag', representationEtag(document.etag, coding))
      .header('last-modified', document.lastModified.toUTCString())
      .header('cache-control', cacheControl)
      .header('vary', 'Accept-Encoding')
      .header('x-content-type-options', 'nosniff');
    if (isNotModified(request.headers, document.etag, document.lastModified)) return reply.status(304).send();
    reply.header('content-type', document.contentType);
    if (coding !== 'identity') reply.header('content-encoding', coding);
    return reply.send(coding === 'br' ? document.brotli : coding === 'gzip' ? document.gzip : document.body);
  }

  for (const [format, fileName] of Object.entries(FEED_FILE_NAMES) as Array<[FeedFormat, string]>) {
    app.get(`/${fileName}`, (request, reply) => serve(request, reply, feedKey(format)));
    app.get<{ Params: { slug: string } }>(`/categories/:slug/${fileName}`, (request, reply) =>
      serve(request, reply, feedKey(format, request.params.slug.toLowerCase())),
    );
  }
};
