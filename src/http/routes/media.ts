/**
 * GET /media/:id/:variant.jpg — image variants made for the channels. Instagram fetches the
 * JPEG from here (it needs a public URL), so it must answer quickly and exactly.
 */
import type { FastifyPluginAsync } from 'fastify';
import { ARTICLE_ID_PATTERN } from '../../domain/article.js';
import { AppError } from '../../errors.js';
import type { MediaStore } from '../../store/media.js';
import { isNotModified } from '../conditional.js';

const VARIANT_FILE = /^([a-z0-9-]{1,32})\.(jpg|png)$/;

export const mediaRoutes: FastifyPluginAsync<{ media: MediaStore }> = async (app, { media }) => {
  app.get<{ Params: { id: string; file: string } }>('/media/:id/:file', async (request, reply) => {
    const match = VARIANT_FILE.exec(request.params.file);
    if (!ARTICLE_ID_PATTERN.test(request.params.id) || !match?.[1] || match[1] === 'source') {
      throw new AppError('NOT_FOUND', 'no such media');
    }
    const stored = await media.get(request.params.id, match[1]);
    if (!stored) throw new AppError('NOT_FOUND', 'no such media');
    reply.headers({
      etag: stored.etag,
      'last-modified': stored.createdAt.toUTCString(),
      // A variant is remade only when the article's image changes; a day of caching is safe.
      'cache-control': 'public, max-age=86400',
      'x-content-type-options': 'nosniff',
    });
    if (isNotModified(request.headers, stored.etag, stored.createdAt)) return reply.status(304).send();
    return reply.header('content-type', stored.contentType).send(stored.body);
  });
};
