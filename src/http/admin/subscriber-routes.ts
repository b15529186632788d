/** /admin/subscribers routes: counts, search by address (bounded) and one subscriber's record. */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { EMAIL_MAX_LENGTH } from '../../domain/subscriber.js';
import { AppError } from '../../errors.js';
import type { DeliveryStore } from '../../store/deliveries.js';
import type { SubscriberStore } from '../../store/subscribers.js';
import type { PageContext } from './article-pages.js';
import { renderSubscriberDetail, renderSubscriberOverview, type SubscriberSearch } from './subscriber-pages.js';

/** Matches shown for one search: enough to pick from, never the whole list. */
export const SEARCH_LIMIT = 50;
/** A subscriber's deliveries shown on their page. */
export const SUBSCRIBER_DELIVERIES_LIMIT = 100;

export interface SubscriberRoutesOptions {
  subscribers: Pick<SubscriberStore, 'countByState' | 'get' | 'searchByEmailPrefix'>;
  deliveries: Pick<DeliveryStore, 'listForTarget'>;
  context(request: FastifyRequest): PageContext;
}

const HTML = 'text/html; charset=utf-8';

async function search(subscribers: SubscriberRoutesOptions['subscribers'], typed: string): Promise<SubscriberSearch> {
  // Stored addresses are lower case with ASCII domains; what people type is matched the same way.
  const query = typed.trim();
  if (query.length > EMAIL_MAX_LENGTH)
    return { query, found: [], more: false, problem: `An address has at most ${EMAIL_MAX_LENGTH} characters.` };
  const found = await subscribers.searchByEmailPrefix(query.toLowerCase(), SEARCH_LIMIT + 1);
  return { query, found: found.slice(0, SEARCH_LIMIT), more: found.length > SEARCH_LIMIT };
}

export const subscriberRoutes: FastifyPluginAsync<SubscriberRoutesOptions> = async (app, options) => {
  app.get('/subscribers', async (request: FastifyRequest<{ Querystring: Record<string, unknown> }>, reply) => {
    const typed = typeof request.query.q === 'string' ? request.query.q : '';
    const counts = await options.subscribers.countByState();
    const found = typed.trim() === '' ? undefined : await search(options.subscribers, typed);
    return reply.type(HTML).send(renderSubscriberOverview(options.context(request), { counts, ...(found ? { search: found } : {}) }));
  });

  app.get('/subscribers/:id', async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const { id } = request.params;
    const subscriber = id.length <= 64 ? await options.subscribers.get(id) : null;
    if (!subscriber) throw new AppError('NOT_FOUND', 'no such subscriber');
    const deliveries = await options.deliveries.listForTarget(subscriber.id, SUBSCRIBER_DELIVERIES_LIMIT + 1);
    return reply.type(HTML).send(
      renderSubscriberDetail(options.context(request), {
        subscriber,
        deliveries: deliveries.slice(0, SUBSCRIBER_DELIVERIES_LIMIT),
        more: deliveries.length > SUBSCRIBER_DELIVERIES_LIMIT,
      }),
    );
  });
};
