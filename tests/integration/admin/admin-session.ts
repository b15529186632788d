/**
 * Signing in to the admin pages in integration tests, as a browser would: the login form's
 * cookie, and the CSRF token the pages' forms carry.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const SECRET_KEY = 'test-secret-key-0123456789abcdef0123456789';
/** What startTestSyndicate needs for the admin pages. */
export const ADMIN_ENV = { ADMIN_TOKEN, SECRET_KEY } as const;

/** Headers a browser sends with a navigation. */
export const BROWSER = { accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8' } as const;

export interface AdminBrowser {
  /** The `Cookie` header value. */
  cookie: string;
  /** GET as a signed-in browser. */
  get(url: string): Promise<LightMyRequestResponse>;
  /** POST a form as a signed-in browser from `origin`, with the page's CSRF token unless `csrf` says otherwise. */
  post(
    url: string,
    fields?: Record<string, string>,
    options?: { csrf?: string | null; origin?: string | null },
  ): Promise<LightMyRequestResponse>;
  /** The CSRF token of this session, read from a page's form. */
  csrf: string;
}

/** `http://news.test`: PUBLIC_BASE_URL of startTestSyndicate. */
export const OWN_ORIGIN = 'http://news.test';

export function formBody(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/** The `name=value` of the session cookie set by `response`. */
export function sessionCookieOf(response: LightMyRequestResponse): string {
  const header = response.headers['set-cookie'];
  const first = Array.isArray(header) ? header[0] : header;
  expect(first, 'a Set-Cookie header').toBeTypeOf('string');
  return first!.split(';')[0]!;
}

/** The CSRF token in a page's forms. */
export function csrfOf(body: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(body);
  expect(match, 'a form with a CSRF token').not.toBeNull();
  return match![1]!;
}

/** Signs in through the login form and returns a browser holding the session. */
export async function signIn(app: FastifyInstance): Promise<AdminBrowser> {
  const login = await app.inject({
    method: 'POST',
    url: '/admin/login',
    headers: { ...BROWSER, 'content-type': 'application/x-www-form-urlencoded', origin: OWN_ORIGIN },
    payload: formBody({ token: ADMIN_TOKEN, next: '/admin/articles' }),
  });
  expect(login.statusCode, login.body).toBe(303);
  const cookie = sessionCookieOf(login);
  const get = (url: string) => app.inject({ method: 'GET', url, headers: { ...BROWSER, cookie } });
  const csrf = csrfOf((await get('/admin/articles')).body);
  return {
    cookie,
    csrf,
    get,
    post: (url, fields = {}, options = {}) =>
      app.inject({
        method: 'POST',
        url,
        headers: {
          ...BROWSER,
          cookie,
          'content-type': 'application/x-www-form-urlencoded',
          ...(options.origin === null ? {} : { origin: options.origin ?? OWN_ORIGIN }),
        },
        payload: formBody({ ...fields, ...(options.csrf === null ? {} : { _csrf: options.csrf ?? csrf }) }),
      }),
  };
}
