/**
 * /admin/articles routes: reads go to the stores, actions (Retry, Retract) to the ArticleService,
 * exactly as the publisher API's. Every action answers with a redirect to the timeline
 * (POST → 303 → GET), so reloading a page never repeats it.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ChannelPreview } from '../../channels/module.js';
import { ARTICLE_ID_PATTERN, type ArticleRecord } from '../../domain/article.js';
import { DELIVERY_STATES, type Delivery } from '../../domain/delivery.js';
import { AppError } from '../../errors.js';
import type { ArticleService } from '../../services/article-service.js';
import { InvalidCursorError, type ArticleStore } from '../../store/articles.js';
import type { DeliveryStore } from '../../store/deliveries.js';
import { renderArticleList, renderRetractConfirmation, renderTimeline, type PageContext } from './article-pages.js';
import { channelLabel } from './layout.js';

/** Articles per page of the list. */
export const ARTICLES_PER_PAGE = 25;

/**
 * The email page's own policy: the email's inline styles and its images, nothing else, in a
 * sandbox (no script, no forms, an opaque origin), framed by our own pages only.
 */
export const EMAIL_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox";

export interface ArticleRoutesOptions {
  service: Pick<ArticleService, 'view' | 'retry' | 'retract'>;
  articles: Pick<ArticleStore, 'get' | 'list' | 'listByDeliveryState'>;
  deliveries: Pick<DeliveryStore, 'listAccountRows'>;
  /** The enabled channels, in order. */
  channels: readonly string[];
  /** The channels' previews; the one keyed `email` shows the email as subscribers get it. */
  previews: readonly ChannelPreview[];
  /** The page context of a request (site title, CSRF token). */
  context(request: FastifyRequest): PageContext;
  now(): Date;
}

type IdRequest = FastifyRequest<{ Params: { id: string }; Querystring: Record<string, unknown> }>;

const HTML = 'text/html; charset=utf-8';

function articleHref(id: string): string {
  return `/admin/articles/${encodeURIComponent(id)}`;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The email part of a preview, when it has the shape of one. */
function emailOf(rendered: unknown): { subject: string; html: string } | undefined {
  if (typeof rendered !== 'object' || rendered === null) return undefined;
  const { subject, html } = rendered as Record<string, unknown>;
  return typeof subject === 'string' && typeof html === 'string' ? { subject, html } : undefined;
}

export const articleRoutes: FastifyPluginAsync<ArticleRoutesOptions> = async (app, options) => {
  const emailPreview = options.previews.find((preview) => preview.key === 'email');
  const renderEmail = (article: ArticleRecord) => (emailPreview ? emailOf(emailPreview.render(article, options.now())) : undefined);

  async function load(request: IdRequest): Promise<ArticleRecord> {
    const { id } = request.params;
    const article = ARTICLE_ID_PATTERN.test(id) ? await options.articles.get(id) : null;
    if (!article) throw new AppError('ARTICLE_NOT_FOUND', `no article ${id}`);
    return article;
  }

  const page = (reply: FastifyReply, body: string) => reply.type(HTML).send(body);

  app.get('/articles', async (request: FastifyRequest<{ Querystring: Record<string, unknown> }>, reply) => {
    const state = text(request.query.state) || undefined;
    const cursor = text(request.query.cursor) || null;
    if (state !== undefined && !(DELIVERY_STATES as readonly string[]).includes(state)) {
      throw new AppError('QUERY_INVALID', `"${state}" is not a delivery state`, [
        { field: 'state', message: `must be one of ${DELIVERY_STATES.join(', ')}` },
      ]);
    }
    let result;
    try {
      result = state
        ? await options.articles.listByDeliveryState({ limit: ARTICLES_PER_PAGE, cursor, deliveryState: state })
        : await options.articles.list({ limit: ARTICLES_PER_PAGE, cursor });
    } catch (error) {
      if (error instanceof InvalidCursorError)
        throw new AppError('QUERY_INVALID', 'this page link is broken; start from the newest articles');
      throw error;
    }
    const rows = await options.deliveries.listAccountRows(result.items.map((article) => article.id));
    const deliveries = new Map<string, Map<string, Delivery>>();
    for (const row of rows) {
      const byChannel = deliveries.get(row.articleId) ?? new Map<string, Delivery>();
      byChannel.set(row.channel, row);
      deliveries.set(row.articleId, byChannel);
    }
    return page(
      reply,
      renderArticleList(options.context(request), {
        articles: result.items,
        deliveries,
        channels: options.channels,
        ...(state ? { state } : {}),
        nextCursor: result.nextCursor,
        paged: cursor !== null,
      }),
    );
  });

  app.get('/articles/:id', async (request: IdRequest, reply) => {
    const article = await load(request);
    const view = await options.service.view(article.id);
    const order = (delivery: Delivery) => {
      const index = options.channels.indexOf(delivery.channel);
      return index < 0 ? options.channels.length : index;
    };
    const deliveries = [...view.deliveries].sort((a, b) => order(a) - order(b) || a.channel.localeCompare(b.channel));
    let email: { subject: string } | undefined;
    try {
      email = renderEmail(view.article);
    } catch (error) {
      // Content past the HTML limits: the timeline still shows; the email page will say why.
      request.log.warn({ articleId: article.id, err: (error as Error).message }, 'email preview failed');
      email = { subject: '(the email cannot be rendered for this article)' };
    }
    return page(
      reply,
      renderTimeline(options.context(request), {
        article: view.article,
        deliveries,
        summaries: view.summaries,
        ...(email ? { email: { subject: email.subject } } : {}),
        ...doneMessage(request.query, options.channels),
      }),
    );
  });

  app.get('/articles/:id/email', async (request: IdRequest, reply) => {
    const email = renderEmail(await load(request));
    if (!email) throw new AppError('NOT_FOUND', 'the newsletter is off in this deployment: there is no email to show');
    return reply.header('content-security-policy', EMAIL_CSP).header('x-frame-options', 'SAMEORIGIN').type(HTML).send(email.html);
  });

  app.post('/articles/:id/retry', async (request: IdRequest, reply) => {
    const article = await load(request);
    const channel = text((request.body as Record<string, unknown> | undefined)?.channel);
    const requeued = await options.service.retry(article.id, channel || undefined);
    const query = new URLSearchParams({ done: requeued.length > 0 ? 'retry' : 'retry-none' });
    if (channel) query.set('channel', channel);
    request.log.info({ articleId: article.id, channel, requeued }, 'admin retry');
    return reply
      .code(303)
      .header('location', `${articleHref(article.id)}?${query}`)
      .send();
  });

  app.get('/articles/:id/retract', async (request: IdRequest, reply) => {
    const article = await load(request);
    if (article.state === 'retracted') return reply.code(303).header('location', articleHref(article.id)).send();
    return page(reply, renderRetractConfirmation(options.context(request), article));
  });

  app.post('/articles/:id/retract', async (request: IdRequest, reply) => {
    const article = await load(request);
    await options.service.retract(article.id);
    request.log.info({ articleId: article.id }, 'admin retract');
    return reply
      .code(303)
      .header('location', `${articleHref(article.id)}?done=retracted`)
      .send();
  });
};

/** The message after an action, from the redirect's query (only known words are shown). */
function doneMessage(query: Record<string, unknown>, channels: readonly string[]): { done?: string } {
  const channel = text(query.channel);
  const named = channel && channels.includes(channel) ? channelLabel(channel) : undefined;
  switch (query.done) {
    case 'retry':
      return { done: named ? `Retry queued for ${named}.` : 'Retry queued for every failed delivery.' };
    case 'retry-none':
      return { done: named ? `Nothing to retry on ${named}: no delivery there has failed.` : 'Nothing to retry: no delivery has failed.' };
    case 'retracted':
      return { done: 'The article is retracted.' };
    default:
      return {};
  }
}
