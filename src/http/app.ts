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
import type { BuiltChannel } from '../channels/module.js';
import { articleRoutes } from './routes/articles.js';
import { healthRoutes, type HealthChecks } from './routes/health.js';
import { mediaRoutes } from './routes/media.js';
import type { MediaStore } from '../store/media.js';
import { previewRoutes, type PreviewRenderer } from './routes/preview.js';

export interface AppDeps {
  logger: Logger;
  publisherToken: string;
  publicBaseUrl: string;
  articles: ArticleService;
  /** The channels built in this process: their routes and fast paths are served. */
  channels: readonly Pick<BuiltChannel, 'routes' | 'fastPath'>[];
  health: HealthChecks;
  preview: PreviewRenderer;
  media: MediaStore;
  /** Request body limit in bytes. @defaultValue 2 MiB */
  bodyLimit?: number;
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

/** Longest path parameter the router accepts: confirm and unsubscribe tokens are longer than Fastify's 100. */
const MAX_PARAM_LENGTH = 2048;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const fastPaths = deps.channels.flatMap((channel) => (channel.fastPath ? [channel.fastPath] : []));
  const app = Fastify({
    // Requests a channel answers from memory (cached feeds) never reach Fastify's routing.
    serverFactory: (handler) =>
      createServer((request, response) => {
        if (!fastPaths.some((fastPath) => fastPath(request, response))) handler(request, response);
      }),
    // pino's Logger is a FastifyBaseLogger at run time; the generic types disagree on msgPrefix.
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    // One log line per request would dominate feed-serving cost; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimit ?? 2 * 1024 * 1024,
    return503OnClosing: true,
    trustProxy: true,
    // Longer than a route's own limit still reaches it, to be refused as a bad link rather than an unknown route.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
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
  await app.register(mediaRoutes, { media: deps.media });
  for (const channel of deps.channels) if (channel.routes) await app.register(channel.routes);
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
