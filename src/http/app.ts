/**
 * buildApp(deps) → a Fastify instance with every route. No listening, no I/O at build time:
 * tests drive it with `app.inject()`.
 */
import { createServer } from 'node:http';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from 'pino';
import { AppError, ERROR_CODES, type ErrorCode } from '../errors.js';
import { redactTokenPaths } from '../logger.js';
import { isDatabaseUnavailable } from '../store/database.js';
import type { ArticleService } from '../services/article-service.js';
import { requireBearer } from './auth.js';
import { DEFAULT_DISCARD_LIMITS, discardRequestBody, type DiscardLimits } from './discard-body.js';
import type { BuiltChannel } from '../channels/module.js';
import { articleRoutes } from './routes/articles.js';
import { healthRoutes, type HealthChecks } from './routes/health.js';
import { mediaRoutes } from './routes/media.js';
import type { MediaStore } from '../store/media.js';
import { previewRoutes, type PreviewRenderer } from './routes/preview.js';
import type { AdminOptions } from './admin/plugin.js';

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
  /**
   * Whose address `request.ip` is (TRUST_PROXY): false, the socket's; a hop count, or the
   * addresses and ranges of the proxies whose X-Forwarded-For is believed; true, every hop.
   * @defaultValue false
   */
  trustProxy?: boolean | number | readonly string[];
  /** How much of a refused body is read before answering. @defaultValue DEFAULT_DISCARD_LIMITS */
  discardLimits?: DiscardLimits;
  /** The operator's pages under /admin; absent, there are none. */
  admin?: AdminOptions;
}

/**
 * Longest path parameter the router accepts: confirm and unsubscribe tokens are longer than
 * Fastify's 100. The router applies it to every route (see buildApp).
 */
const MAX_PARAM_LENGTH = 2048;

/** Fastify's own error codes, mapped onto our catalogue. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'CONTENT_TYPE_UNSUPPORTED',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BODY_INVALID',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BODY_INVALID',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BODY_INVALID',
};

/**
 * The router's own errors, answered before any route runs: a path no route can match. Fastify
 * says 400 (malformed percent-encoding) and 414 (a parameter over maxParamLength) in its own
 * shape; for us both name no resource: 404 NOT_FOUND, without echoing the path.
 */
const ROUTER_ERRORS: Record<string, string> = {
  FST_ERR_BAD_URL: 'no such route: the path is not valid percent-encoded UTF-8',
  FST_ERR_MAX_PARAM_LENGTH: `no such route: a path segment is longer than ${MAX_PARAM_LENGTH} characters`,
};

/**
 * ioredis's errors while Redis is down or hung (they carry no code): the API's command
 * connection fails at once instead of queueing (offline queue off) and times out a hung call.
 */
const REDIS_UNAVAILABLE_MESSAGES = [
  "Stream isn't writeable and enableOfflineQueue options is false",
  'Command timed out',
  'Connection is closed',
  'Reached the max retries per request limit',
];
/** Redis replies that mean "not now": loading, a replica, a failover, out of memory, a busy script. */
const REDIS_UNAVAILABLE_REPLIES = /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|OOM|BUSY|NOREPLICAS) /;

/** True when `error` (or its cause) says Redis is down, hung or not taking writes now. */
function isRedisUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    const { name, message } = current;
    if (name === 'MaxRetriesPerRequestError' || name === 'ConnectionClosedError') return true;
    if (REDIS_UNAVAILABLE_MESSAGES.some((prefix) => message.startsWith(prefix))) return true;
    if (name === 'ReplyError' && REDIS_UNAVAILABLE_REPLIES.test(message)) return true;
  }
  return false;
}

/** Retry-After of a 503: Redis reconnects within 2 s, a SQLite lock is seconds at most. */
const RETRY_AFTER_SECONDS = 5;

function toAppError(error: FastifyError): AppError {
  if (error instanceof AppError) return error;
  const routerMessage = error.code ? ROUTER_ERRORS[error.code] : undefined;
  if (routerMessage) return new AppError('NOT_FOUND', routerMessage);
  // A dependency down, hung or locked (SPEC §7): 503 with Retry-After, not a 500.
  if (isRedisUnavailable(error)) return new AppError('SERVICE_UNAVAILABLE', 'the queue (Redis) is not answering; try again shortly');
  if (isDatabaseUnavailable(error)) return new AppError('SERVICE_UNAVAILABLE', 'the database is busy or not answering; try again shortly');
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

/**
 * TRUST_PROXY as Fastify takes it. A hop count becomes a function: Fastify reads a bare number
 * as "trust nobody". With n hops, the n nearest (the socket peer first) are the proxies, and
 * the address the farthest of them saw is the client's; a client that can reach this service
 * without passing them could claim any address, so list the proxies' addresses when it can.
 */
function fastifyTrustProxy(trust: boolean | number | readonly string[]): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return typeof trust === 'boolean' ? trust : [...trust];
}

/** The path of `url`, cut short: a 404 need not echo 2,000 characters back. */
function shortPath(url: string): string {
  const path = url.split('?')[0] ?? '';
  return path.length > 200 ? `${path.slice(0, 200)}…` : path;
}

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
    trustProxy: fastifyTrustProxy(deps.trustProxy ?? false),
    // Fastify has one router, and find-my-way one maxParamLength for every route (no per-route
    // limit): this is the confirm/unsubscribe tokens' limit, past which the router answers 404.
    // Routes with short parameters (category slugs, article ids) refuse long ones themselves.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Malformed percent-encoding and over-long parameters: our shape, not Fastify's.
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      void reply.status(404).send(toAppError(error).toJSON());
    },
  });
  const discardLimits = deps.discardLimits ?? DEFAULT_DISCARD_LIMITS;

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const appError = toAppError(error);
    // Confirm and unsubscribe URLs carry tokens: logged without them.
    const url = redactTokenPaths(request.url);
    if (appError.code === 'SERVICE_UNAVAILABLE') {
      reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      // One line, no stack: an outage must not bury the log.
      request.log.warn({ err: error.message, url }, 'dependency unavailable');
    } else if (appError.status >= 500) {
      request.log.error({ err: error, url }, 'request failed');
    }
    // Fastify refuses a body (too large, malformed) with Connection: close, often before reading
    // it; read the rest first, so a client still sending gets this answer (discard-body.ts).
    if (reply.getHeader('connection') === 'close' && (await discardRequestBody(request.raw, discardLimits))) {
      reply.removeHeader('connection');
    }
    return reply.status(appError.status).send(appError.toJSON());
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(new AppError('NOT_FOUND', `no route ${request.method} ${shortPath(request.url)}`).toJSON()),
  );

  await app.register(healthRoutes, { checks: deps.health });
  await app.register(mediaRoutes, { media: deps.media });
  if (deps.admin) {
    // Loaded only where there are admin pages: Bull Board and its UI stay out of other processes.
    const { adminRoutes } = await import('./admin/plugin.js');
    await app.register(adminRoutes, { ...deps.admin, prefix: '/admin' });
  }
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
