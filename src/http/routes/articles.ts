/** The publisher API (SPEC §3): submit, update, retract, retry, read, list. */
import type { FastifyPluginAsync } from 'fastify';
import { ARTICLE_ID_PATTERN } from '../../domain/article.js';
import { AppError } from '../../errors.js';
import type { ArticleService } from '../../services/article-service.js';
import { feedUrls } from '../../channels/feeds/urls.js';
import { presentArticle, presentDeliveries } from '../present.js';

export interface ArticleRoutesOptions {
  service: ArticleService;
  publicBaseUrl: string;
}

function checkId(id: string): string {
  if (!ARTICLE_ID_PATTERN.test(id)) {
    throw new AppError('ARTICLE_NOT_FOUND', `no article ${JSON.stringify(id)}`, [
      { field: 'id', message: 'must match [a-z0-9][a-z0-9._-]{0,127}' },
    ]);
  }
  return id;
}

function parseLimit(value: string | undefined): number {
  if (value === undefined) return 20;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new AppError('QUERY_INVALID', 'limit must be a whole number from 1 to 100', [{ field: 'limit', message: 'must be 1–100' }]);
  }
  return limit;
}

export const articleRoutes: FastifyPluginAsync<ArticleRoutesOptions> = async (app, { service, publicBaseUrl }) => {
  const links = (id: string) => ({
    self: `${publicBaseUrl}/api/articles/${id}`,
    feeds: feedUrls(publicBaseUrl),
  });
  const submitted = (record: { id: string; revision: number; state: string; publishedAt: Date }, now: Date) => ({
    id: record.id,
    revision: record.revision,
    state: record.state === 'scheduled' ? (record.publishedAt > now ? 'scheduled' : 'queued') : record.state,
    links: links(record.id),
  });

  app.post('/articles', async (request, reply) => {
    const result = await service.submit(request.body);
    return reply.status(result.status === 'created' ? 202 : 200).send({ ...submitted(result.record, new Date()), result: result.status });
  });

  app.put<{ Params: { id: string } }>('/articles/:id', async (request, reply) => {
    const result = await service.update(checkId(request.params.id), request.body);
    return reply.status(200).send({ ...submitted(result.record, new Date()), result: result.status });
  });

  app.delete<{ Params: { id: string } }>('/articles/:id', async (request) => {
    const view = await service.retract(checkId(request.params.id));
    return { id: view.article.id, state: view.article.state, deliveries: presentDeliveries(view.deliveries, view.summaries) };
  });

  app.get<{ Params: { id: string } }>('/articles/:id', async (request) => {
    const view = await service.view(checkId(request.params.id));
    return {
      ...presentArticle(view.article),
      deliveries: presentDeliveries(view.deliveries, view.summaries),
      links: links(view.article.id),
    };
  });

  app.get<{ Querystring: { limit?: string; cursor?: string } }>('/articles', async (request) => {
    const page = await service.list(parseLimit(request.query.limit), request.query.cursor ?? null);
    return { items: page.items.map(presentArticle), nextCursor: page.nextCursor };
  });

  app.post<{ Params: { id: string }; Querystring: { channel?: string } }>('/articles/:id/retry', async (request, reply) => {
    const channels = await service.retry(checkId(request.params.id), request.query.channel);
    return reply.status(202).send({ id: request.params.id, requeued: channels });
  });
};
