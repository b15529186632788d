/**
 * The newsletter's public routes (SPEC §3): sign-up, double opt-in confirmation and RFC 8058
 * one-click unsubscribe. HTML for people (no JavaScript needed), JSON when the client asks for it.
 * The work is done by the SubscriptionHandlers handed in; these routes only speak HTTP.
 */
import formBody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { AppError } from '../../errors.js';
import {
  renderCheckInboxPage,
  renderConfirmedPage,
  renderConfirmPage,
  renderLinkProblemPage,
  renderRateLimitedPage,
  renderSubscribePage,
  renderUnsubscribedPage,
  renderUnsubscribePage,
  SUBSCRIBE_ACCEPTED_MESSAGE,
  type PageSite,
  type SubscribeFormState,
} from './pages.js';

/** What the routes need from the newsletter; the routes never touch the store or queues. */
export interface SubscriptionHandlers {
  /** Categories offered on the sign-up form (may be empty). */
  categories(): Promise<{ slug: string; name: string }[]>;
  /**
   * Validates and records the request; sends (enqueues) the confirmation email when due. Throws
   * AppError('SUBSCRIPTION_INVALID', message, details[{field,message}]) for bad input. Same
   * behaviour for known and unknown addresses.
   */
  subscribe(input: unknown, meta: { ip: string }): Promise<void>;
  /**
   * Throws AppError('SUBSCRIPTION_TOKEN_INVALID') (400) for a malformed, forged, wrong-purpose or
   * unknown token (AppError('TOKEN_INVALID') is accepted too and answered the same way), and
   * AppError('TOKEN_EXPIRED') (410) for an expired one.
   */
  confirm(token: string): Promise<'confirmed' | 'already'>;
  /**
   * For the confirmation page: the address, and whether it is confirmed already. Confirms
   * nothing (mail scanners fetch links). Throws like confirm, also for a pending request that expired.
   */
  confirmTarget(token: string): Promise<{ email: string; status: 'pending' | 'confirmed' }>;
  /** For the unsubscribe page: the address, to show the reader what they are leaving. Throws like confirm. */
  unsubscribeTarget(token: string): Promise<{ email: string }>;
  /** Effective at once (also cancels queued emails). Idempotent. Throws like confirm. */
  unsubscribe(token: string): Promise<void>;
}

export interface SubscribeRateLimit {
  /** Sign-ups allowed per IP within the window. @defaultValue 5 */
  max: number;
  /** @defaultValue 60000 */
  timeWindowMs: number;
  /** Shares the count between every API process; without it each process counts alone. */
  redis?: Redis;
  /** Redis key prefix (QUEUE_PREFIX), so deployments sharing a Redis keep their own counts. @defaultValue syndicate */
  keyPrefix?: string;
}

export interface SubscriptionRoutesOptions {
  handlers: SubscriptionHandlers;
  /** @defaultValue { title: 'Syndicate' } */
  site?: PageSite;
  /** @defaultValue DEFAULT_SUBSCRIBE_RATE_LIMIT */
  rateLimit?: SubscribeRateLimit;
}

export const DEFAULT_SUBSCRIBE_RATE_LIMIT: Readonly<SubscribeRateLimit> = Object.freeze({ max: 5, timeWindowMs: 60_000 });

/** Longer than any token we sign; refused before the handlers spend an HMAC on it. */
export const MAX_TOKEN_LENGTH = 512;

/** Nothing but inline CSS, no framing, forms post only to us. */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const HTML = 'text/html; charset=utf-8';
/** One-click and confirm-button bodies are a few bytes; anything bigger is not a mail client or our form. */
const UNSUBSCRIBE_BODY_LIMIT = 64 * 1024;
const SUBSCRIBE_BODY_LIMIT = 64 * 1024;

type TokenRequest = FastifyRequest<{ Params: { token: string } }>;

function sentJson(request: FastifyRequest): boolean {
  const type = request.headers['content-type'];
  return type !== undefined && /^\s*application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i.test(type);
}

/** True when the client sent JSON or ranks JSON above HTML in Accept. */
export function wantsJson(request: FastifyRequest): boolean {
  if (sentJson(request)) return true;
  const accept = request.headers.accept;
  if (!accept) return false;
  let json = 0;
  let html = 0;
  for (const part of accept.toLowerCase().split(',')) {
    const [range = '', ...parameters] = part.split(';').map((p) => p.trim());
    const q = parameters.find((p) => p.startsWith('q='));
    const quality = q === undefined ? 1 : Number(q.slice(2));
    if (!Number.isFinite(quality)) continue;
    if (range === 'application/json' || /^application\/[\w.-]+\+json$/.test(range)) json = Math.max(json, quality);
    else if (range === 'text/html' || range === 'application/xhtml+xml') html = Math.max(html, quality);
  }
  return json > html;
}

function sendHtml(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.status(status).type(HTML).send(html);
}

function readToken(request: TokenRequest): string {
  const { token } = request.params;
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw new AppError('SUBSCRIPTION_TOKEN_INVALID', 'this link is not valid');
  return token;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** A form post as the handlers' input: only the form's fields, `categories` always a list. */
function formInput(body: unknown): Record<string, unknown> {
  const fields = record(body);
  const input: Record<string, unknown> = { email: fields.email, frequency: fields.frequency };
  const categories = fields.categories;
  input.categories = categories === undefined ? [] : Array.isArray(categories) ? categories : [categories];
  if (fields.name !== undefined && fields.name !== '') input.name = fields.name;
  return input;
}

function formState(input: Record<string, unknown>): SubscribeFormState {
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return {
    email: text(input.email),
    name: text(input.name),
    frequency: text(input.frequency),
    categories: Array.isArray(input.categories) ? input.categories.filter((c): c is string => typeof c === 'string') : [],
  };
}

/** Our errors as these routes answer them; undefined for anything else (the app's handler takes it). */
function subscriptionError(error: FastifyError | AppError): AppError | undefined {
  if (error instanceof AppError) {
    // The catalogue's TOKEN_INVALID is the publisher's bearer token (401); a bad link is a 400.
    return error.code === 'TOKEN_INVALID' ? new AppError('SUBSCRIPTION_TOKEN_INVALID', error.message, error.details) : error;
  }
  if (error.statusCode === 429) return new AppError('RATE_LIMITED', error.message);
  return undefined;
}

function retryAfterSeconds(reply: FastifyReply): number | undefined {
  const value = Number(reply.getHeader('retry-after'));
  return Number.isFinite(value) ? value : undefined;
}

export const subscriptionRoutes: FastifyPluginAsync<SubscriptionRoutesOptions> = async (app, options) => {
  const { handlers } = options;
  const site: PageSite = options.site ?? { title: 'Syndicate' };
  const limit = options.rateLimit ?? DEFAULT_SUBSCRIBE_RATE_LIMIT;

  app.addHook('onRequest', async (_request, reply) => {
    // Tokens travel in these URLs: no referrer, no caching, no framing, no sniffing.
    reply.headers({
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
  });

  // People get pages; JSON clients, and errors that are not ours, go on to the app's JSON handler.
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const appError = subscriptionError(error);
    if (appError === undefined) throw error;
    if (wantsJson(request)) throw appError;
    const purpose = request.url.startsWith('/confirm/') ? 'confirm' : 'unsubscribe';
    switch (appError.code) {
      case 'SUBSCRIPTION_TOKEN_INVALID':
        return sendHtml(reply, appError.status, renderLinkProblemPage(site, 'invalid', purpose));
      case 'TOKEN_EXPIRED':
        return sendHtml(reply, appError.status, renderLinkProblemPage(site, 'expired', purpose));
      case 'RATE_LIMITED':
        return sendHtml(reply, appError.status, renderRateLimitedPage(site, retryAfterSeconds(reply)));
      default:
        throw appError;
    }
  });

  app.get('/subscribe', async (_request, reply) => sendHtml(reply, 200, renderSubscribePage(site, await handlers.categories())));

  await app.register(async (signUp: FastifyInstance) => {
    // Forms and JSON only: text/plain (Fastify's default) would reach the handler as a string.
    signUp.removeContentTypeParser('text/plain');
    await signUp.register(formBody, { bodyLimit: SUBSCRIBE_BODY_LIMIT });
    await signUp.register(rateLimit, {
      global: false,
      ...(limit.redis ? { redis: limit.redis, nameSpace: `${limit.keyPrefix ?? 'syndicate'}:rate-limit:` } : {}),
      errorResponseBuilder: (_request, context) =>
        new AppError('RATE_LIMITED', `too many sign-ups from this address; try again in ${context.after}`),
    });
    signUp.post(
      '/subscribe',
      { bodyLimit: SUBSCRIBE_BODY_LIMIT, config: { rateLimit: { max: limit.max, timeWindow: limit.timeWindowMs } } },
      async (request, reply) => {
        const json = wantsJson(request);
        const input = sentJson(request) ? request.body : formInput(request.body);
        try {
          await handlers.subscribe(input, { ip: request.ip });
        } catch (error) {
          if (json || !(error instanceof AppError) || error.code !== 'SUBSCRIPTION_INVALID') throw error;
          const state = { ...formState(record(input)), errors: error.details.length > 0 ? error.details : [{ message: error.message }] };
          return sendHtml(reply, 400, renderSubscribePage(site, await handlers.categories(), state));
        }
        // The same answer for a new, pending, confirmed or unsubscribed address.
        if (json) return reply.status(202).send({ status: 'accepted', message: SUBSCRIBE_ACCEPTED_MESSAGE });
        return sendHtml(reply, 202, renderCheckInboxPage(site));
      },
    );
  });

  // A page with one button: mail scanners prefetch GET links, so the GET itself confirms nobody.
  app.get('/confirm/:token', async (request: TokenRequest, reply) => {
    const token = readToken(request);
    const target = await handlers.confirmTarget(token);
    if (wantsJson(request)) return reply.send(target);
    if (target.status === 'confirmed') return sendHtml(reply, 200, renderConfirmedPage(site, 'already'));
    return sendHtml(reply, 200, renderConfirmPage(site, target.email, `/confirm/${encodeURIComponent(token)}`));
  });

  // A page with one button: mail scanners prefetch GET links, so the GET itself changes nothing.
  app.get('/unsubscribe/:token', async (request: TokenRequest, reply) => {
    const token = readToken(request);
    const { email } = await handlers.unsubscribeTarget(token);
    if (wantsJson(request)) return reply.send({ email });
    return sendHtml(reply, 200, renderUnsubscribePage(site, email, `/unsubscribe/${encodeURIComponent(token)}`));
  });

  await app.register(async (oneClick: FastifyInstance) => {
    // RFC 8058 (and the confirm button): the token alone is the authority. Whatever body a mail
    // client or the page sends (urlencoded, multipart, text, nothing) is read up to a small limit and ignored.
    oneClick.removeAllContentTypeParsers();
    oneClick.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: UNSUBSCRIBE_BODY_LIMIT }, (_request, _body, done) => done(null));
    // Double opt-in: idempotent, and the subscriber's consent is recorded with its time.
    oneClick.post('/confirm/:token', { bodyLimit: UNSUBSCRIBE_BODY_LIMIT }, async (request: TokenRequest, reply) => {
      const result = await handlers.confirm(readToken(request));
      if (wantsJson(request)) return reply.send({ status: result });
      return sendHtml(reply, 200, renderConfirmedPage(site, result));
    });
    oneClick.post('/unsubscribe/:token', { bodyLimit: UNSUBSCRIBE_BODY_LIMIT }, async (request: TokenRequest, reply) => {
      await handlers.unsubscribe(readToken(request));
      if (wantsJson(request)) return reply.send({ status: 'unsubscribed' });
      return sendHtml(reply, 200, renderUnsubscribedPage(site));
    });
  });
};
