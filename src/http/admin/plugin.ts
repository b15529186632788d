/**
 * The operator's pages under /admin (SPEC §3): sign-in, articles and their deliveries,
 * subscribers, and Bull Board. Server-rendered HTML that works without JavaScript (Bull Board
 * aside), with the public pages' security headers. Signed in by the admin token, as a bearer
 * header or through the login form's session cookie (guard.ts).
 */
import formBody from '@fastify/formbody';
import type { Queue } from 'bullmq';
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ChannelPreview } from '../../channels/module.js';
import { AppError, ERROR_CODES } from '../../errors.js';
import type { ArticleService } from '../../services/article-service.js';
import type { ArticleStore } from '../../store/articles.js';
import type { DeliveryStore } from '../../store/deliveries.js';
import type { SubscriberStore } from '../../store/subscribers.js';
import type { PageContext } from './article-pages.js';
import { articleRoutes } from './article-routes.js';
import {
  authenticate,
  authOf,
  checkWrites,
  clearedSessionCookie,
  safeNext,
  sessionCookie,
  sessionOf,
  wantsPage,
  type GuardOptions,
} from './guard.js';
import { STYLESHEET_PATH } from './layout.js';
import { LoginThrottle } from './login-throttle.js';
import { renderLoginPage, renderProblemPage } from './pages.js';
import { queueBoard } from './queue-board.js';
import { AdminSessions } from './session.js';
import { ADMIN_CSS } from './style.js';
import { subscriberRoutes } from './subscriber-routes.js';

export interface AdminOptions {
  /** ADMIN_TOKEN. */
  token: string;
  /** SECRET_KEY: signs sessions and CSRF tokens. */
  secretKey: string;
  /** PUBLIC_BASE_URL: its origin is where forms come from; https makes the cookie Secure. */
  publicBaseUrl: string;
  /** SITE_TITLE, shown on every page. */
  siteTitle: string;
  /** Retry and Retract go through the service, as the publisher API's do. */
  service: Pick<ArticleService, 'view' | 'retry' | 'retract'>;
  articles: Pick<ArticleStore, 'get' | 'list' | 'listByDeliveryState'>;
  deliveries: Pick<DeliveryStore, 'listAccountRows' | 'listForTarget'>;
  subscribers: Pick<SubscriberStore, 'countByState' | 'get' | 'searchByEmailPrefix'>;
  /** The enabled channels, in order: one column each on the list. */
  channels: readonly string[];
  /** The channels' previews; the one keyed `email` shows the email as subscribers get it. @defaultValue none */
  previews?: readonly ChannelPreview[];
  /** Every queue, for Bull Board. */
  queues: readonly Queue[];
  /** Allow changes from Bull Board (retry, remove, pause…). @defaultValue false */
  queuesWritable?: boolean;
  /** How long a login lasts. @defaultValue 12 hours */
  sessionTtlMs?: number;
  /** Refused sign-ins allowed per client address and minute, per process. @defaultValue 10 */
  loginAttemptsPerMinute?: number;
  now?: () => Date;
}

/** The admin pages' policy: our stylesheet, frames of our own email page, forms to ourselves. */
export const ADMIN_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const HTML = 'text/html; charset=utf-8';
const FORM_BODY_LIMIT = 64 * 1024;
const QUEUES_PATH = '/admin/queues';

/** The path of the request, cut short: a 404 need not echo 2,000 characters back. */
function pathOf(request: FastifyRequest): string {
  const path = request.url.split('?')[0] ?? '';
  return path.length > 200 ? `${path.slice(0, 200)}…` : path;
}

export const adminRoutes: FastifyPluginAsync<AdminOptions> = async (app, options) => {
  const now = options.now ?? (() => new Date());
  const sessions = new AdminSessions({
    token: options.token,
    secretKey: options.secretKey,
    now,
    ...(options.sessionTtlMs ? { ttlMs: options.sessionTtlMs } : {}),
  });
  const secure = options.publicBaseUrl.startsWith('https:');
  const siteTitle = options.siteTitle;

  const context = (request: FastifyRequest): PageContext => {
    const session = sessionOf(request);
    return { siteTitle, ...(session ? { csrfToken: sessions.csrfToken(session) } : {}) };
  };
  const problem = (request: FastifyRequest, reply: FastifyReply, status: number, title: string, message: string) =>
    reply
      .code(status)
      .type(HTML)
      .send(renderProblemPage({ ...context(request), title, message, signedIn: authOf(request) !== undefined }));

  const guard: GuardOptions = {
    sessions,
    publicOrigin: new URL(options.publicBaseUrl).origin,
    isPublic: (path) => path === '/admin/login' || path === STYLESHEET_PATH,
    isScriptApi: (path) => path.startsWith(`${QUEUES_PATH}/api/`),
    forbidden: (request, reply, message) =>
      wantsPage(request)
        ? problem(request, reply, 403, 'Not allowed', message)
        : reply.code(403).type('text/plain; charset=utf-8').send(`${message}\n`),
  };

  app.addHook('onRequest', async (_request, reply) => {
    reply.headers({
      'content-security-policy': ADMIN_CSP,
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'cache-control': 'no-store',
    });
  });
  app.addHook('onRequest', authenticate(guard));
  app.removeContentTypeParser('text/plain');
  await app.register(formBody, { bodyLimit: FORM_BODY_LIMIT });
  app.addHook('preHandler', checkWrites(guard));

  // Our errors as pages for people; scripts, and errors that are not ours, get the app's JSON.
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const status = error instanceof AppError ? error.status : error.statusCode;
    if (!wantsPage(request) || status === undefined || status >= 500) throw error;
    const title = status === 404 ? 'Not found' : status === 429 ? 'Too many attempts' : 'That did not work';
    return problem(request, reply, status, title, error.message);
  });
  app.setNotFoundHandler(async (request, reply) => {
    if (!wantsPage(request))
      return reply.code(404).send(new AppError('NOT_FOUND', `no route ${request.method} ${pathOf(request)}`).toJSON());
    return problem(request, reply, 404, 'Not found', 'There is no admin page at this address.');
  });

  app.get('/assets/admin.css', async (_request, reply) =>
    reply.header('cache-control', 'private, max-age=3600').type('text/css; charset=utf-8').send(ADMIN_CSS),
  );
  app.get('/', async (_request, reply) => reply.code(303).header('location', '/admin/articles').send());

  await app.register(loginRoutes, { sessions, secure, siteTitle, attemptsPerMinute: options.loginAttemptsPerMinute ?? 10 });
  await app.register(articleRoutes, {
    service: options.service,
    articles: options.articles,
    deliveries: options.deliveries,
    channels: options.channels,
    previews: options.previews ?? [],
    context,
    now,
  });
  await app.register(subscriberRoutes, { subscribers: options.subscribers, deliveries: options.deliveries, context });
  await app.register(queueBoard, {
    prefix: '/queues',
    queues: options.queues,
    writable: options.queuesWritable ?? false,
    basePath: QUEUES_PATH,
  });
};

interface LoginRoutesOptions {
  sessions: AdminSessions;
  secure: boolean;
  siteTitle: string;
  attemptsPerMinute: number;
}

async function loginRoutes(app: FastifyInstance, options: LoginRoutesOptions): Promise<void> {
  const { sessions, secure, siteTitle } = options;
  const throttle = new LoginThrottle({ max: options.attemptsPerMinute, windowMs: 60_000 });

  app.get('/login', async (request: FastifyRequest<{ Querystring: Record<string, unknown> }>, reply) => {
    const next = safeNext(request.query.next);
    if (sessionOf(request)) return reply.code(303).header('location', next).send();
    return reply.type(HTML).send(renderLoginPage({ siteTitle, next }));
  });

  app.post('/login', async (request: FastifyRequest<{ Body: Record<string, unknown> | undefined }>, reply) => {
    const wait = throttle.waitFor(request.ip);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      reply.header('retry-after', String(seconds));
      throw new AppError(
        'RATE_LIMITED',
        `Too many refused sign-ins from your address; try again in ${seconds} second${seconds === 1 ? '' : 's'}.`,
      );
    }
    const body = request.body ?? {};
    const next = safeNext(body.next);
    const token = typeof body.token === 'string' ? body.token : '';
    if (!sessions.isToken(token)) {
      throttle.refused(request.ip);
      request.log.warn({ ip: request.ip }, 'admin sign-in refused');
      return reply
        .code(ERROR_CODES.TOKEN_INVALID)
        .type(HTML)
        .send(renderLoginPage({ siteTitle, next, error: 'That is not the admin token.' }));
    }
    const { value } = sessions.issue();
    request.log.info({ ip: request.ip }, 'admin signed in');
    return reply
      .code(303)
      .header('set-cookie', sessionCookie(value, { secure, maxAgeSeconds: sessions.ttlMs / 1000 }))
      .header('location', next)
      .send();
  });

  app.post('/logout', async (_request, reply) =>
    reply.code(303).header('set-cookie', clearedSessionCookie({ secure })).header('location', '/admin/login').send(),
  );
}
