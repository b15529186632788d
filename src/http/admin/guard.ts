/**
 * Who may use the admin pages, and which writes are theirs. A request is signed in by the
 * `Authorization: Bearer <ADMIN_TOKEN>` header (scripts) or by the session cookie the login form
 * sets. A write (any method but GET/HEAD/OPTIONS) on a session must come from our own origin and,
 * for forms, carry the session's CSRF token: SameSite=Strict alone leaves same-site attackers
 * (a sibling subdomain) and old browsers. Bearer requests carry no ambient credential, so neither
 * check applies to them.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import type { AdminSession, AdminSessions } from './session.js';

/** The cookie's name; it is scoped to {@link SESSION_COOKIE_PATH}. */
export const SESSION_COOKIE = 'syndicate_admin';
export const SESSION_COOKIE_PATH = '/admin';

/** How a request is signed in. */
export type AdminAuth = { via: 'bearer' } | { via: 'session'; session: AdminSession };

const signedIn = new WeakMap<FastifyRequest, AdminAuth>();

/** How `request` is signed in, or undefined. */
export function authOf(request: FastifyRequest): AdminAuth | undefined {
  return signedIn.get(request);
}

/** The session of `request` when it came with the cookie (for forms' CSRF tokens). */
export function sessionOf(request: FastifyRequest): AdminSession | undefined {
  const auth = signedIn.get(request);
  return auth?.via === 'session' ? auth.session : undefined;
}

/** Every value the `Cookie` header gives `name` (a browser may send more than one). */
export function cookieValues(header: string | undefined, name: string): string[] {
  if (!header) return [];
  const values: string[] = [];
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index < 0 || part.slice(0, index).trim() !== name) continue;
    values.push(part.slice(index + 1).trim());
  }
  return values;
}

/** The `Set-Cookie` value for a new session. */
export function sessionCookie(value: string, options: { secure: boolean; maxAgeSeconds: number }): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    `Path=${SESSION_COOKIE_PATH}`,
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}

/** The `Set-Cookie` value that ends the session in the browser. */
export function clearedSessionCookie(options: { secure: boolean }): string {
  return sessionCookie('', { secure: options.secure, maxAgeSeconds: 0 });
}

/** True for navigations from a browser (they accept HTML); false for scripts and fetch calls. */
export function wantsPage(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return /\btext\/html\b/i.test(accept);
}

/** A path under /admin to return to after login; anything else becomes the articles page. */
export function safeNext(next: unknown): string {
  const fallback = '/admin/articles';
  if (typeof next !== 'string' || next.length > 2000 || !next.startsWith('/') || /[\\\s]/.test(next)) return fallback;
  // Resolved as a browser would: `//host`, `/admin/../api` and their percent-encoded forms leave /admin.
  const base = 'http://admin.invalid';
  const url = new URL(next, base);
  if (url.origin !== base || !/^\/admin(?:\/|$)/.test(url.pathname) || url.pathname.startsWith('/admin/login')) return fallback;
  return `${url.pathname}${url.search}`;
}

export interface GuardOptions {
  sessions: AdminSessions;
  /** The origin of PUBLIC_BASE_URL: where forms are posted from. */
  publicOrigin: string;
  /** Paths anyone may reach (the login form, the stylesheet). */
  isPublic(path: string): boolean;
  /** Paths whose writes come from a script on our own page (Bull Board), not a form: Origin alone is checked. */
  isScriptApi(path: string): boolean;
  /** Answers a refused write (403) as a page. */
  forbidden(request: FastifyRequest, reply: FastifyReply, message: string): FastifyReply;
}

function pathOf(request: FastifyRequest): string {
  return request.url.split('?')[0] ?? request.url;
}

/** Whether the request came from a page of our own origin (or says nothing, as scripts do). */
export function fromOwnOrigin(request: FastifyRequest, publicOrigin: string, options: { requireOrigin?: boolean } = {}): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) {
    if (options.requireOrigin) return false;
    // Browsers that send no Origin still send Sec-Fetch-Site; old ones rely on the CSRF token.
    const site = request.headers['sec-fetch-site'];
    return site === undefined || site === 'same-origin' || site === 'none';
  }
  if (origin === 'null') {
    // Under Referrer-Policy: no-referrer (the public pages' policy, kept here) a browser sends
    // `Origin: null` even with a same-origin form; Sec-Fetch-Site, which no page can set, tells.
    return request.headers['sec-fetch-site'] === 'same-origin';
  }
  return origin === publicOrigin || origin === `${request.protocol}://${request.host}`;
}

/** The onRequest hook: signs the request in, or answers it (login page, 401). */
export function authenticate(options: GuardOptions) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | void> => {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match?.[1] || !options.sessions.isToken(match[1])) {
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer realm="syndicate-admin"')
          .send(new AppError('TOKEN_INVALID', 'the bearer token is not the admin token').toJSON());
      }
      signedIn.set(request, { via: 'bearer' });
      return;
    }
    for (const value of cookieValues(request.headers.cookie, SESSION_COOKIE)) {
      const session = options.sessions.verify(value);
      if (session) {
        signedIn.set(request, { via: 'session', session });
        return;
      }
    }
    const path = pathOf(request);
    if (options.isPublic(path)) return;
    if (wantsPage(request)) {
      const next = request.method === 'GET' || request.method === 'HEAD' ? request.url : '/admin/articles';
      return reply
        .code(303)
        .header('location', `/admin/login?next=${encodeURIComponent(safeNext(next))}`)
        .send();
    }
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="syndicate-admin"')
      .send(new AppError('TOKEN_MISSING', 'sign in at /admin/login or send Authorization: Bearer <ADMIN_TOKEN>').toJSON());
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The preHandler hook (the body is parsed by then): a write on a session must come from our
 * origin and, unless a script API, carry the session's CSRF token. The login form has no session
 * yet: its origin is checked.
 */
export function checkWrites(options: GuardOptions) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | void> => {
    if (SAFE_METHODS.has(request.method)) return;
    const auth = signedIn.get(request);
    if (auth?.via === 'bearer') return;
    const path = pathOf(request);
    const scriptApi = options.isScriptApi(path);
    if (!fromOwnOrigin(request, options.publicOrigin, { requireOrigin: scriptApi })) {
      request.log.warn({ url: path, origin: request.headers.origin }, 'admin write from another origin refused');
      return options.forbidden(request, reply, 'This request came from another site, so it was refused.');
    }
    // The login form is origin-checked only: it has no session yet (or a stale one being replaced).
    if (auth === undefined || scriptApi || options.isPublic(path)) return;
    const body = request.body as Record<string, unknown> | undefined;
    const token = (body && typeof body === 'object' ? body._csrf : undefined) ?? request.headers['x-csrf-token'];
    if (!options.sessions.isCsrfToken(auth.session, token)) {
      request.log.warn({ url: path }, 'admin form without a valid CSRF token refused');
      return options.forbidden(
        request,
        reply,
        'This form has expired or did not come from these pages. Go back, reload the page and try again.',
      );
    }
  };
}
