/**
 * buildApp(deps) → a Fastify instance with every route. No listening, no I/O at build time:
 * tests drive it with `app.inject()`.
 */
import { createServer } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AppError, ERROR_CODES, type ErrorCode } from '../errors.js';
import type { ArticleService } from '../services/article-service.js';
import { requireBearer } from './auth.js';
import type { FeedCache } from '../channels/feeds/cache.js';
import { serveCachedFeed } from '../channels/feeds/fast-path.js';
import { articleRoutes } from './routes/articles.js';
import { feedRoutes } from '../channels/feeds/routes.js';
import { healthRoutes, type HealthChecks } from './routes/health.js';
import { mediaRoutes } from './routes/media.js';
import type { MediaStore } from '../store/media.js';
import { previewRoutes, type PreviewRenderer } from './routes/preview.js';
import { MAX_TOKEN_LENGTH, subscriptionRoutes, type SubscribeRateLimit, type SubscriptionHandlers } from '../channels/newsletter/routes.js';

export interface AppDeps {
  logger: Logger;
  publisherToken: string;
  publicBaseUrl: string;
  articles: ArticleService;
  feeds: FeedCache;
  health: HealthChecks;
  preview: PreviewRenderer;
  media: MediaStore;
  /** Request body limit in bytes. @defaultValue 2 MiB */
  bodyLimit?: number;
  /** The newsletter's public routes (/subscribe, /confirm, /unsubscribe); absent, they are not served. */
  subscriptions?: SubscriptionHandlers;
  /** For page titles and links. @defaultValue { title: 'Syndicate' } */
  site?: { title: string; url?: string; language?: string };
  /** Sign-ups per IP; with `redis`, shared by every API process. @defaultValue 5 per minute, per process */
  subscribeRateLimit?: SubscribeRateLimit;
}

/** Fastify's own error codes, mapped onto our catalogue. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'CONTENT_TYPE_UNSUPPORTED',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BODY_INVALID',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BODY_INVALID',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BODY_INVALID',
};

function toAppError(error: FastifyError): AppError {
  if (error instanceof AppError) return error;
  const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
  if (mapped) return new AppError(mapped, mapped === 'BODY_INVALID' ? `request body is not valid JSON: ${error.message}` : error.message);
  if (error instanceof SyntaxError || (error.statusCode === 400 && /JSON/i.test(error.message))) {
    return new AppError('BODY_INVALID', `request body is not valid JSON: ${error.message}`);
  }
  if (error.validation) {
    return new AppError(
      'QUERY_INVALID',
      error.message,
      error.validation.map((v) => ({
        field: v.instancePath.replace(/^\//, '') || String(v.params?.missingProperty ?? ''),
        message: v.message ?? 'is invalid',
      })),
    );
  }
  if (error.statusCode === 429) return new AppError('RATE_LIMITED', error.message);
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    const code = (Object.keys(ERROR_CODES) as ErrorCode[]).find((c) => ERROR_CODES[c] === error.statusCode) ?? 'BODY_INVALID';
    return new AppError(code, error.message);
  }
  return new AppError('INTERNAL', 'internal error');
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // Cached feeds are answered before Fastify routes anything (see feed-fast-path.ts).
    serverFactory: (handler) =>
      createServer((request, response) => {
        if (!serveCachedFeed(deps.feeds, request, response)) handler(request, response);
      }),
    // pino's Logger is a FastifyBaseLogger at run time; the generic types disagree on msgPrefix.
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    // One log line per request would dominate feed-serving cost; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimit ?? 2 * 1024 * 1024,
    return503OnClosing: true,
    trustProxy: true,
    // Confirm and unsubscribe tokens are longer than the default 100; longer than the route's own
    // limit still reaches it, to be refused as a bad link rather than an unknown route.
    routerOptions: { maxParamLength: 4 * MAX_TOKEN_LENGTH },
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = toAppError(error);
    if (appError.status >= 500) request.log.error({ err: error, url: request.url }, 'request failed');
    return reply.status(appError.status).send(appError.toJSON());
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(new AppError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`).toJSON()),
  );

  await app.register(healthRoutes, { checks: deps.health });
  await app.register(feedRoutes, { cache: deps.feeds });
  await app.register(mediaRoutes, { media: deps.media });
  if (deps.subscriptions) {
    await app.register(subscriptionRoutes, { handlers: deps.subscriptions, site: deps.site, rateLimit: deps.subscribeRateLimit });
  }
  await app.register(
    async (api) => {
      // onRequest, not preHandler: a bad token is refused before the body is even read.
      api.addHook('onRequest', requireBearer(deps.publisherToken));
      // The publisher API speaks JSON only: anything else is 415, not parsed as text.
      api.removeContentTypeParser('text/plain');
      await api.register(articleRoutes, { service: deps.articles, publicBaseUrl: deps.publicBaseUrl });
      await api.register(previewRoutes, { renderer: deps.preview });
    },
    { prefix: '/api' },
  );
  return app;
}
